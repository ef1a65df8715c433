import { DAY } from '../generate.ts';
import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { sfDateTime } from '../soql/format.ts';
import type { ObjectDef } from '../soql/schema.ts';
import { notFound, sfError } from './errors.ts';
import type { SalesforceOrg } from './org.ts';

const SEASONS = ['Spring', 'Summer', 'Winter'];

/** GET /services/data: every API version from 31.0 (Summer '14) to the sandbox's newest. */
export function versions(latest = 66): Array<{ label: string; url: string; version: string }> {
  const out = [];
  for (let v = 31; v <= latest; v++) {
    // 31 = Summer '14; each year has Spring, Summer, Winter (Winter carries next year's number).
    const k = v - 31 + 1;
    const season = SEASONS[k % 3]!;
    const year = 14 + Math.floor((k + (season === 'Winter' ? 1 : 0)) / 3);
    out.push({ label: `${season} '${year}`, url: `/services/data/v${v}.0`, version: `${v}.0` });
  }
  return out;
}

export function resources(version: string, identityUrl: string): Record<string, string> {
  const b = `/services/data/v${version}`;
  return {
    tooling: `${b}/tooling`,
    metadata: `${b}/metadata`,
    composite: `${b}/composite`,
    query: `${b}/query`,
    queryAll: `${b}/queryAll`,
    jobs: `${b}/jobs`,
    limits: `${b}/limits`,
    sobjects: `${b}/sobjects`,
    identity: identityUrl,
    search: `${b}/search`,
    recent: `${b}/recent`,
  };
}

function urls(obj: ObjectDef, version: string) {
  const b = `/services/data/v${version}/sobjects/${obj.name}`;
  return {
    compactLayouts: `${b}/describe/compactLayouts`,
    rowTemplate: `${b}/{ID}`,
    approvalLayouts: `${b}/describe/approvalLayouts`,
    listviews: `${b}/listviews`,
    describe: `${b}/describe`,
    quickActions: `${b}/quickActions`,
    layouts: `${b}/describe/layouts`,
    sobject: b,
  };
}

function objectSummary(obj: ObjectDef, version: string) {
  return {
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    createable: obj.createable,
    custom: false,
    customSetting: false,
    deepCloneable: false,
    deletable: obj.deletable,
    deprecatedAndHidden: false,
    feedEnabled: true,
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: obj.keyPrefix,
    label: obj.label,
    labelPlural: obj.labelPlural,
    layoutable: true,
    mergeable: obj.name === 'Account',
    mruEnabled: true,
    name: obj.name,
    queryable: true,
    replicateable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    undeletable: true,
    updateable: obj.updateable,
    urls: urls(obj, version),
  };
}

export function describeGlobal(org: SalesforceOrg, version: string): SbResponse {
  return json(200, {
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: org.objectNames().map((n) => objectSummary(org.describe(n)!, version)),
  });
}

export function basicInfo(org: SalesforceOrg, type: string, version: string): SbResponse {
  const obj = org.describe(type);
  if (!obj) return notFound();
  const recent = [];
  for (const row of org.rows(obj.name, { all: false })) {
    recent.push({
      attributes: { type: obj.name, url: `/services/data/v${version}/sobjects/${obj.name}/${row.id}` },
      Id: row.id,
      Name: row.get('Name') ?? row.get('Subject'),
    });
    if (recent.length === 5) break;
  }
  return json(200, { objectDescribe: objectSummary(obj, version), recentItems: recent });
}

export function describe(org: SalesforceOrg, type: string, version: string): SbResponse {
  const obj = org.describe(type);
  if (!obj) return notFound();
  return json(200, {
    ...objectSummary(obj, version),
    childRelationships: obj.childRelationships.map((c) => ({
      cascadeDelete: false,
      childSObject: c.childSObject,
      deprecatedAndHidden: false,
      field: c.field,
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: c.relationshipName,
      restrictedDelete: false,
    })),
    fields: obj.fields.map((f) => ({
      aggregatable: f.type !== 'textarea',
      autoNumber: false,
      byteLength: (f.length ?? 0) * 3,
      calculated: false,
      caseSensitive: false,
      createable: f.createable,
      custom: f.custom,
      defaultValue: null,
      defaultedOnCreate: f.name === 'IsDeleted',
      dependentPicklist: false,
      digits: f.type === 'int' ? 9 : 0,
      externalId: f.externalId ?? false,
      filterable: f.type !== 'textarea',
      groupable: f.type !== 'textarea',
      idLookup: f.name === 'Id' || (f.externalId ?? false),
      label: f.label,
      length: f.length ?? 0,
      name: f.name,
      nameField: f.name === 'Name',
      nillable: f.nillable,
      picklistValues: (f.picklistValues ?? []).map((v, i) => ({
        active: true,
        defaultValue: i === 0 && f.name === 'Status',
        label: v,
        validFor: null,
        value: v,
      })),
      precision: f.precision ?? (f.type === 'currency' ? 18 : 0),
      referenceTo: f.referenceTo ?? [],
      relationshipName: f.relationshipName ?? null,
      restrictedPicklist: f.restrictedPicklist ?? false,
      scale: f.scale ?? (f.type === 'currency' ? 2 : 0),
      soapType: soapType(f.type),
      sortable: f.type !== 'textarea',
      type: f.type,
      unique: f.unique ?? false,
      updateable: f.updateable,
    })),
  });
}

function soapType(t: string): string {
  return (
    (
      {
        id: 'tns:ID',
        reference: 'tns:ID',
        boolean: 'xsd:boolean',
        int: 'xsd:int',
        double: 'xsd:double',
        currency: 'xsd:double',
        percent: 'xsd:double',
        date: 'xsd:date',
        datetime: 'xsd:dateTime',
        address: 'urn:address',
      } as Record<string, string>
    )[t] ?? 'xsd:string'
  );
}

/** GET /limits. DailyApiRequests reflects real usage; the rest are a Developer Edition's allocations. */
export function limits(used: number, max: number, bulkJobs: number): SbResponse {
  const fixed: Record<string, number> = {
    AnalyticsExternalDataSizeMB: 40960,
    CdpAiInferenceApiMonthlyLimit: 500000000,
    ConcurrentAsyncGetReportInstances: 200,
    ConcurrentEinsteinDataInsightsStoryCreation: 5,
    ConcurrentEinsteinDiscoveryStoryCreation: 2,
    ConcurrentSyncReportRuns: 20,
    ContentDistBandwidthLimitMB: 51200,
    ContentDistViewLimit: 50000,
    ContentPublicationLimit: 2500,
    DailyAnalyticsDataflowJobExecutions: 60,
    DailyAnalyticsUploadedFilesSizeMB: 51200,
    DailyApexCursorLimit: 10000,
    DailyApexCursorRowsLimit: 100000000,
    DailyApexPCursorLimit: 200000,
    DailyAsyncApexExecutions: 250000,
    DailyAsyncApexTests: 500,
    DailyBulkApiBatches: 15000,
    DailyBulkV2QueryFileStorageMB: 976562,
    DailyDeliveredPlatformEvents: 10000,
    DailyDurableGenericStreamingApiEvents: 10000,
    DailyDurableStreamingApiEvents: 10000,
    DailyEinsteinDataInsightsStoryCreation: 1000,
    DailyEinsteinDiscoveryOptimizationJobRuns: 25,
    DailyEinsteinDiscoveryPredictAPICalls: 50000,
    DailyEinsteinDiscoveryPredictionsByCDC: 500000,
    DailyEinsteinDiscoveryStoryCreation: 100,
    DailyFunctionsApiCallLimit: 50000,
    DailyGenericStreamingApiEvents: 10000,
    DailyMetadataRetrievesWithDependencies: 25,
    DailyServiceEmailAgentforceCalls: 5000,
    DailyStandardVolumePlatformEvents: 10000,
    DailyStreamingApiEvents: 10000,
    DailyWorkflowEmails: 8040,
    DataStorageMB: 5,
    DurableStreamingApiConcurrentClients: 20,
    ExternalServicesActiveObjects: 3000,
    ExternalServicesActiveOperations: 3000,
    ExternalServicesObjectProperties: 400000,
    ExternalServicesObjects: 10000,
    ExternalServicesOperations: 10000,
    ExternalServicesRegistrations: 700,
    FileStorageMB: 20,
    HourlyAsyncReportRuns: 1200,
    HourlyDashboardRefreshes: 200,
    HourlyDashboardResults: 5000,
    HourlyDashboardStatuses: 999999999,
    HourlyElevateAsyncReportRuns: 1200,
    HourlyElevateSyncReportRuns: 500,
    HourlyLongTermIdMapping: 100000,
    HourlyManagedContentPublicRequests: 50000,
    HourlyODataCallout: 1000,
    HourlyPublishedPlatformEvents: 50000,
    HourlyPublishedStandardVolumePlatformEvents: 1000,
    HourlyShortTermIdMapping: 100000,
    HourlySyncReportRuns: 500,
    HourlyTimeBasedWorkflow: 1000,
    MassEmail: 10,
    MaxContentDocumentsLimit: 30000000,
    MonthlyEinsteinDiscoveryStoryCreation: 500,
    Package2VersionCreates: 6,
    Package2VersionCreatesWithoutValidation: 500,
    PlatformEventTriggersWithParallelProcessing: 5,
    PrivateConnectOutboundCalloutHourlyLimitMB: 0,
    PublishCallbackUsageInApex: 5242880,
    ScheduledFlowRunLimit: 250000,
    ScheduledPathRunLimit: 250000,
    SingleEmail: 15,
    StreamingApiConcurrentClients: 20,
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fixed)) out[k] = { Max: v, Remaining: v };
  out.DailyApiRequests = { Max: max, Remaining: Math.max(0, max - used) };
  out.DailyBulkV2QueryJobs = { Max: 10000, Remaining: Math.max(0, 10000 - bulkJobs) };
  out.PermissionSets = { Max: 1500, Remaining: 1498, CreateCustom: { Max: 1000, Remaining: 998 } };
  return json(200, Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b))));
}

function parseWindow(req: SbRequest): { start: number; end: number } | null {
  const start = Date.parse(req.query.get('start') ?? '');
  const end = Date.parse(req.query.get('end') ?? '');
  return Number.isFinite(start) && Number.isFinite(end) ? { start, end } : null;
}

/** GET sobjects/{type}/updated and /deleted (getUpdated / getDeleted). Windows: 30 and 15 days. */
export function replication(org: SalesforceOrg, type: string, kind: 'updated' | 'deleted', req: SbRequest): SbResponse {
  const obj = org.describe(type);
  if (!obj) return notFound();
  const w = parseWindow(req);
  if (!w) return sfError(400, 'MALFORMED_QUERY', 'start and end must be valid dateTime values');
  const now = org.now();
  const days = kind === 'updated' ? 30 : 15;
  if (w.start < now - days * DAY) return sfError(400, 'INVALID_REPLICATION_DATE', `startDate cannot be more than ${days} days ago`);
  if (w.end < w.start) return sfError(400, 'INVALID_REPLICATION_DATE', 'EndDate can not be before StartDate');
  const end = Math.min(w.end, now) - (Math.min(w.end, now) % 60_000);
  const ids: string[] = [];
  const deleted: Array<{ id: string; deletedDate: string }> = [];
  for (const row of org.rows(obj.name, { all: true })) {
    const stamp = row.get('SystemModstamp') as number | null;
    if (stamp === null || stamp < w.start || stamp >= end) continue;
    if (kind === 'deleted' && row.get('IsDeleted') === true) deleted.push({ id: row.id, deletedDate: sfDateTime(stamp) });
    if (kind === 'updated' && row.get('IsDeleted') !== true) ids.push(row.id);
  }
  if (ids.length > 600_000 || deleted.length > 600_000) return sfError(400, 'EXCEEDED_ID_LIMIT', 'too many ids: narrow the window');
  return kind === 'updated'
    ? json(200, { ids, latestDateCovered: sfDateTime(end) })
    : json(200, { deletedRecords: deleted, earliestDateAvailable: sfDateTime(now - 15 * DAY), latestDateCovered: sfDateTime(end) });
}
