import { startMailSink } from './mail-sink';

// Started before the app server (Playwright runs globalSetup first): the SMTP server its
// SMTP_URL names. The returned function is the teardown.
export default async function globalSetup(): Promise<() => Promise<void>> {
  return startMailSink();
}
