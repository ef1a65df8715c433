import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsvDeals } from '../connectors/csv/index.ts';
import type { Deal } from '../src/core/deal.ts';
import { loadMappingFile } from '../src/mapping/load.ts';

/** The shared public datasets (read in place, never copied into the repo). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATASETS = process.env.DEALRISK_DATASETS ?? path.resolve(ROOT, '../shared/datasets');

export interface Split {
  train: Deal[];
  test: Deal[];
}

let ibmDeals: Deal[] | null = null;
async function ibm(): Promise<Deal[]> {
  ibmDeals ??= (
    await readCsvDeals({
      file: path.join(DATASETS, 'ibm-sales-win-loss/WA_Fn-UseC_-Sales-Win-Loss.csv'),
      mapping: loadMappingFile(path.join(ROOT, 'mappings/ibm.csv.yaml')),
      tenantId: 'bench-ibm',
    })
  ).deals;
  return ibmDeals;
}

/** IBM leak-free split: `Opportunity Number % 5 == 0` → test (the Deal's name holds the number). */
export async function ibmSplit(): Promise<Split> {
  const deals = await ibm();
  const isTest = (d: Deal): boolean => Number(d.name) % 5 === 0;
  return { train: deals.filter((d) => !isTest(d)), test: deals.filter(isTest) };
}

/** IBM time proxy: `Opportunity Number >= 8400000` → test (the win rate shifts 21% → 30%). */
export async function ibmIdOrderedSplit(): Promise<Split> {
  const deals = await ibm();
  const isTest = (d: Deal): boolean => Number(d.name) >= 8_400_000;
  return { train: deals.filter((d) => !isTest(d)), test: deals.filter(isTest) };
}

/** SkyGeni time split: `closed_date >= 2024-03-01` → test. */
export async function skygeniSplit(): Promise<Split> {
  const { deals } = await readCsvDeals({
    file: path.join(DATASETS, 'skygeni-sales-synthetic/skygeni_sales_data.csv'),
    mapping: loadMappingFile(path.join(ROOT, 'mappings/skygeni.csv.yaml')),
    tenantId: 'bench-skygeni',
  });
  const cut = Date.UTC(2024, 2, 1);
  const isTest = (d: Deal): boolean => (d.closedAt?.getTime() ?? 0) >= cut;
  return { train: deals.filter((d) => !isTest(d)), test: deals.filter(isTest) };
}
