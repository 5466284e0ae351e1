// Types of manager-graph.mjs for the Playwright specs (TypeScript) that import it.
import type { APIRequestContext, Page } from '@playwright/test';

export function waterTelegram(o: { serial: string; key: string; volumeL: number; info?: number; counter: number }): string;
export function addWaterMeter(
  request: APIRequestContext,
  base: string,
  o: { serial: string; key: string; pointId?: number; from?: number }
): Promise<number>;
export function ingestReadings(
  request: APIRequestContext,
  base: string,
  o: { serial: string; key: string; readings: { at: number; volumeL: number; info?: number }[]; counter?: number }
): Promise<void>;
export function measureGraph(page: Page, o: { baseUrl: string }): Promise<number>;
