import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A Postgres database of its own on a server, for one test file or benchmark run. */
export interface ScratchDatabase {
  name: string;
  /** The postgres:// URL of the new database. */
  url: string;
  /** Drops it, ending any connection still open (`with (force)`). */
  drop(): Promise<void>;
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Creates `<prefix>_<random hex>` on the server that `adminUrl` connects to. */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`) };
}
