// A Kamstrup KEM key file built the way protocols.md §4.8 describes it (XML Encryption container,
// AES-128-CBC with the password's UTF-8 bytes zero-padded to 16 as key and IV), from XML the test
// writes itself: no customer's file is used.
import { createCipheriv } from 'node:crypto';

/** The file as base64 text, as POST /api/imports/kem takes it. */
export function kemFile(xml: string, password: string): string {
  const key = Buffer.alloc(16);
  Buffer.from(password, 'utf8').copy(key);
  const plain = Buffer.from(xml, 'utf8');
  const padded = Buffer.concat([plain, Buffer.alloc((16 - (plain.length % 16)) % 16)]);
  const cipher = createCipheriv('aes-128-cbc', key, key).setAutoPadding(false);
  const data = Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
  const outer =
    '<?xml version="1.0" encoding="utf-8"?>\n<EncryptedData Type="http://www.w3.org/2001/04/xmlenc#Element" xmlns="http://www.w3.org/2001/04/xmlenc#">' +
    '<EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc" />' +
    `<CipherData><CipherValue>${data.replace(/(.{76})/g, '$1\n')}</CipherValue></CipherData></EncryptedData>`;
  return Buffer.from(outer, 'utf8').toString('base64');
}
