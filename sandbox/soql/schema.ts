import type { Cond } from './parse.ts';

/** Salesforce field types the sandbox models (describe's `type`, lower-case as Salesforce sends it). */
export type SfType =
  | 'id'
  | 'reference'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'email'
  | 'phone'
  | 'url'
  | 'address';

export interface FieldDef {
  name: string;
  type: SfType;
  label: string;
  custom: boolean;
  updateable: boolean;
  createable: boolean;
  nillable: boolean;
  referenceTo?: string[];
  relationshipName?: string;
  length?: number;
  precision?: number;
  scale?: number;
  picklistValues?: string[];
  restrictedPicklist?: boolean;
  externalId?: boolean;
  unique?: boolean;
}

export interface ChildRelationship {
  relationshipName: string;
  childSObject: string;
  field: string;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  fields: FieldDef[];
  childRelationships: ChildRelationship[];
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
}

/** One record as the query engine sees it: canonical field names, internal values (dates as ms). */
export interface Row {
  readonly id: string;
  get(field: string): unknown;
}

/** What the query engine needs from an org: schema (after field-level security), rows, lookups. */
export interface Catalog {
  /** Case-insensitive; null when the object is unknown. Only fields the caller may see. */
  describe(object: string): ObjectDef | null;
  /** `where` lets the org skip rows it can rule out (see soql/hints.ts); the engine still filters. */
  rows(object: string, opts: { all: boolean; where?: Cond | null }): Iterable<Row>;
  byId(object: string, id: string): Row | null;
  children(rel: ChildRelationship, parentId: string, opts: { all: boolean }): Row[];
  now(): number;
}

export const fieldOf = (obj: ObjectDef, name: string): FieldDef | undefined => {
  const lower = name.toLowerCase();
  return obj.fields.find((f) => f.name.toLowerCase() === lower);
};
