// The demo town "Lindebæk": invented Danish-style streets, house numbers, postal codes and
// coordinates in a small area, and invented households and housing associations living there.
// Deterministic from the seed; no real person or address is used.

import { Rng } from './random.js';

export const CITY = 'Lindebæk';

export interface District {
  name: string;
  postalCode: string;
  /** Centre, degrees. */
  lat: number;
  lon: number;
}

/** Where the invented town lies (a few km across, in Jutland-like latitudes). */
const ORIGIN = { lat: 56.0215, lon: 9.2840 };
const M_PER_DEG_LAT = 111_320;
const M_PER_DEG_LON = 111_320 * Math.cos((ORIGIN.lat * Math.PI) / 180);

const DISTRICTS: readonly { name: string; postalCode: string; dx: number; dy: number }[] = [
  { name: 'Centrum', postalCode: '7481', dx: 0, dy: 0 },
  { name: 'Nordbyen', postalCode: '7481', dx: 200, dy: 1300 },
  { name: 'Østerhøj', postalCode: '7482', dx: 1500, dy: 300 },
  { name: 'Skovkvarteret', postalCode: '7482', dx: 900, dy: -1200 },
  { name: 'Vestervang', postalCode: '7483', dx: -1400, dy: -200 },
  { name: 'Engparken', postalCode: '7483', dx: -800, dy: 1100 }
];

const CENTRE_STREETS = [
  'Torvet', 'Nørregade', 'Søndergade', 'Vestergade', 'Østergade', 'Kirkegade', 'Jernbanegade',
  'Stationsvej', 'Skolegade', 'Apotekergade', 'Smedegade', 'Bagergade'
];
const PREFIXES = [
  'Birke', 'Ege', 'Bøge', 'Ahorn', 'Lærke', 'Rønne', 'Kastanje', 'Hassel', 'Pile', 'Syrén', 'Mølle', 'Præste',
  'Toft', 'Enghave', 'Kløver', 'Valmue', 'Rose', 'Hyld', 'Lind', 'Æble', 'Kirsebær', 'Solsort', 'Spurve', 'Vibe',
  'Stork', 'Hare', 'Rådyr', 'Fasan', 'Agerhøns', 'Humle', 'Tjørne', 'Slåen', 'Gran', 'Fyrre', 'Bakke', 'Dals'
];
const SUFFIXES = ['vej', 'vej', 'vænget', 'toften', 'haven', 'bakken', 'højen', 'stien', 'parken', 'alle', 'lunden'];

const FIRST_NAMES = [
  'Anne', 'Mette', 'Kirsten', 'Hanne', 'Helle', 'Susanne', 'Lene', 'Maria', 'Camilla', 'Louise', 'Sofie', 'Ida',
  'Emma', 'Freja', 'Karen', 'Inge', 'Birgit', 'Lars', 'Jens', 'Peter', 'Michael', 'Søren', 'Henrik', 'Thomas',
  'Niels', 'Anders', 'Martin', 'Rasmus', 'Jesper', 'Mads', 'Kasper', 'Morten', 'Ole', 'Poul', 'Jakob', 'Frederik',
  'Mikkel', 'Christian', 'Bo', 'Erik'
];
const LAST_NAMES = [
  'Jensen', 'Nielsen', 'Hansen', 'Pedersen', 'Andersen', 'Christensen', 'Larsen', 'Sørensen', 'Rasmussen',
  'Jørgensen', 'Petersen', 'Madsen', 'Kristensen', 'Olsen', 'Thomsen', 'Christiansen', 'Poulsen', 'Johansen',
  'Møller', 'Mortensen', 'Knudsen', 'Jakobsen', 'Lauridsen', 'Holm', 'Kjær', 'Bech', 'Dahl', 'Lund', 'Vestergaard',
  'Overgaard', 'Skov', 'Bak', 'Nørgaard', 'Østergaard', 'Dam'
];
const ASSOCIATIONS = ['Boligforeningen Lindebo', 'Andelsboligforeningen Kastanjegården', 'Lindebæk Almennyttige Boligselskab'];
const BUSINESSES = [
  'Lindebæk Bageri ApS', 'Brugsen Lindebæk', 'Lindebæk Skole', 'Børnehuset Mælkebøtten', 'Plejecenter Egelund',
  'Lindebæk Hallen', 'Tømrer Holm ApS', 'Auto-Centret Lindebæk', 'Lindebæk Kro', 'Apoteket Lindebæk',
  'Lindebæk Kirke', 'VVS-Firmaet Bak & Søn', 'Frisør Klip', 'Lindebæk Rådhus'
];

export type BuildingKind = 'house' | 'block' | 'business';

export interface DemoAddress {
  /** "Birkevej 14" */
  address: string;
  street: string;
  houseNumber: string;
  postalCode: string;
  city: string;
  district: string;
  lat: number;
  lon: number;
  kind: BuildingKind;
}

export interface DemoCustomer {
  number: string;
  name: string;
  email: string | null;
}

interface Street {
  name: string;
  district: District;
  /** Start point (m from origin), direction (radians), house spacing (m), next free number. */
  x: number;
  y: number;
  angle: number;
  spacing: number;
  next: number;
  maxNumber: number;
}

export interface Town {
  districts: District[];
  /** Next building of the given kind, on a street with room left. */
  nextAddress(kind: BuildingKind): DemoAddress;
  /** An invented customer for a building of that kind. */
  customerFor(kind: BuildingKind, index: number): DemoCustomer;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

export function makeTown(rng: Rng): Town {
  const districts: District[] = DISTRICTS.map((d) => ({
    name: d.name,
    postalCode: d.postalCode,
    lat: round6(ORIGIN.lat + d.dy / M_PER_DEG_LAT),
    lon: round6(ORIGIN.lon + d.dx / M_PER_DEG_LON)
  }));
  const used = new Set<string>();
  const streets: Street[] = [];
  const centre = DISTRICTS[0];
  for (const name of CENTRE_STREETS) {
    used.add(name);
    streets.push(street(name, 0, centre.dx, centre.dy, 90));
  }
  // residential streets: as many as the names allow, spread over the districts
  const names: string[] = [];
  for (const p of PREFIXES) for (const s of SUFFIXES) names.push(p + s);
  let d = 1;
  while (streets.length < 140) {
    const name = rng.pick(names);
    if (used.has(name)) continue;
    used.add(name);
    const base = DISTRICTS[d];
    streets.push(street(name, d, base.dx, base.dy, rng.int(30, 90)));
    d = d === DISTRICTS.length - 1 ? 1 : d + 1;
  }

  function street(name: string, districtIndex: number, cx: number, cy: number, maxNumber: number): Street {
    const r = rng.range(0, 550);
    const a = rng.range(0, 2 * Math.PI);
    return {
      name,
      district: districts[districtIndex],
      x: cx + r * Math.cos(a),
      y: cy + r * Math.sin(a),
      angle: rng.range(0, Math.PI),
      spacing: districtIndex === 0 ? rng.range(10, 16) : rng.range(16, 26),
      next: 1,
      maxNumber
    };
  }

  const addressOn = (s: Street, kind: BuildingKind): DemoAddress => {
    const n = s.next;
    s.next += kind === 'house' ? 1 : rng.int(1, 3);
    // odd numbers on one side, even on the other; along the street every `spacing` metres
    const along = Math.ceil(n / 2) * s.spacing;
    const side = n % 2 === 1 ? 1 : -1;
    const off = side * rng.range(9, 14);
    const x = s.x + along * Math.cos(s.angle) - off * Math.sin(s.angle) + rng.range(-2, 2);
    const y = s.y + along * Math.sin(s.angle) + off * Math.cos(s.angle) + rng.range(-2, 2);
    const letter = kind === 'house' && rng.chance(0.03) ? rng.pick(['A', 'B']) : '';
    const houseNumber = `${n}${letter}`;
    return {
      address: `${s.name} ${houseNumber}`,
      street: s.name,
      houseNumber,
      postalCode: s.district.postalCode,
      city: CITY,
      district: s.district.name,
      lat: round6(ORIGIN.lat + y / M_PER_DEG_LAT),
      lon: round6(ORIGIN.lon + x / M_PER_DEG_LON),
      kind
    };
  };

  let cursor = CENTRE_STREETS.length;
  return {
    districts,
    nextAddress(kind) {
      // blocks and businesses prefer the centre streets; houses fill the residential streets in turn
      if (kind !== 'house') {
        for (let tries = 0; tries < 20; tries++) {
          const s = streets[rng.int(0, streets.length - 1)];
          if ((s.district === districts[0] || rng.chance(0.3)) && s.next <= s.maxNumber) return addressOn(s, kind);
        }
      }
      for (let tries = 0; tries < streets.length; tries++) {
        const s = streets[cursor];
        cursor = cursor + 1 >= streets.length ? CENTRE_STREETS.length : cursor + 1;
        if (s.next <= s.maxNumber) return addressOn(s, kind);
      }
      // every street is full (only at far more than the demo's size): extend the numbering
      const s = streets[rng.int(0, streets.length - 1)];
      s.maxNumber += 50;
      return addressOn(s, kind);
    },
    customerFor(kind, index) {
      const number = String(100_000 + index * 7);
      if (kind === 'block') {
        const name = `${rng.pick(ASSOCIATIONS)} afd. ${rng.int(1, 24)}`;
        return { number, name, email: null };
      }
      if (kind === 'business') return { number, name: `${rng.pick(BUSINESSES)}`, email: null };
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const partner = rng.chance(0.35) ? ` og ${rng.pick(FIRST_NAMES)}` : '';
      const mail = `${first}.${last}`.toLowerCase().replace(/æ/g, 'ae').replace(/ø/g, 'oe').replace(/å/g, 'aa');
      return { number, name: `${first}${partner} ${last}`, email: rng.chance(0.6) ? `${mail}${index}@example.org` : null };
    }
  };
}
