// Types of seed.mjs for the Playwright specs (TypeScript) that import it.
import type { APIRequestContext } from '@playwright/test';

export interface DriveMeter {
  manufacturer: string;
  id: string;
  version: number;
  deviceType: number;
  kind: 'kamstrup-heat-403' | 'kamstrup-water-21' | 'oms-water';
  key: string;
  position: { lat: number; lon: number };
  intervalS: number;
  mode: 'C1' | 'T1';
  placement: 'outdoor';
}

export interface Drive {
  meters: DriveMeter[];
  route: { points: { lat: number; lon: number }[]; speedKmh: number };
}

export function makeDrive(o: {
  count: number;
  seed?: number;
  perStreet?: number;
  spacingM?: number;
  omsEvery?: number;
  omsIntervalS?: number;
  speedKmh?: number;
}): Drive;

export function seedDrive(
  request: APIRequestContext,
  drive: Pick<Drive, 'meters'>,
  o: { groups: { name: string; from: number; to: number }[]; wrongKeys?: string[] }
): Promise<{ ids: Map<string, number>; groupIds: number[] }>;

export function authoriseDevice(request: APIRequestContext, name: string, groupIds: number[]): Promise<number>;
