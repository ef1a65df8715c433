import type { SbRequest, SbResponse } from '../http/types.ts';
import { child, childrenNamed, parseXml, toValue, toXml, type XmlNode } from '../http/xml.ts';
import { SF_PREFIX, sfId } from '../ids.ts';
import { sfDateTime } from '../soql/format.ts';
import type { SfAuth } from './oauth.ts';
import type { SalesforceOrg } from './org.ts';
import { customFieldDef } from './schema.ts';
import { SOAP_SCOPE_REFUSAL } from './scopes.ts';

const MAX_COMPONENTS = 10;
const FIELD_OBJECTS = new Set(['Opportunity', 'Task', 'Account', 'Contact']);

type Md = Record<string, unknown>;
interface MdError {
  statusCode: string;
  message: string;
  fields?: string[];
}
type Result = { fullName: string; success: boolean; errors?: MdError[]; created?: boolean };

const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

export function soapFault(code: string, message: string, status = 500): SbResponse {
  return {
    status,
    contentType: 'text/xml;charset=UTF-8',
    text: envelope(
      `<soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${code}: ${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</faultstring></soapenv:Fault>`,
    ),
  };
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** Task (and Event) custom fields are defined on Activity in the Metadata API; they show on Task. */
const storedName = (fullName: string) => fullName.replace(/^Activity\./i, 'Task.');
const bool = (v: unknown) => v === true || v === 'true';

/**
 * The Metadata API SOAP endpoint (/services/Soap/m/{version}) for the calls jsforce's
 * conn.metadata.create/read/upsert/update/delete/list send, for CustomField and PermissionSet.
 * Fields created here stay invisible to the API user until a permission set grants them (FLS).
 */
export class SfMetadata {
  constructor(
    private readonly org: SalesforceOrg,
    private readonly auth: SfAuth,
  ) {}

  handle(req: SbRequest): SbResponse {
    let root: XmlNode;
    try {
      root = parseXml(req.rawBody);
    } catch (e) {
      return soapFault('INVALID_XML', e instanceof Error ? e.message : 'malformed request');
    }
    const env = child(root, 'Envelope');
    const session = env && child(env, 'Header') && child(child(env, 'Header')!, 'SessionHeader');
    const token = session ? (child(session, 'sessionId')?.text.trim() ?? null) : null;
    const a = this.auth.authenticate(token, 'api');
    if (!a.ok) {
      return soapFault(
        'INVALID_SESSION_ID',
        a.scope
          ? SOAP_SCOPE_REFUSAL
          : 'Invalid Session ID found in SessionHeader: Illegal Session. Session not found, missing session hash',
      );
    }
    const call = env && child(env, 'Body')?.children[0];
    if (!call) return soapFault('INVALID_XML', 'no operation in the SOAP body');
    const components = childrenNamed(call, 'metadata').map((n) => ({ type: n.attrs['xsi:type'] ?? '', md: (toValue(n) ?? {}) as Md }));
    switch (call.name) {
      case 'createMetadata':
      case 'updateMetadata':
      case 'upsertMetadata': {
        if (components.length > MAX_COMPONENTS)
          return soapFault('EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COMPONENTS} records in a single call`);
        const mode = call.name.replace('Metadata', '') as 'create' | 'update' | 'upsert';
        return this.respond(
          call.name,
          components.map((c) => this.save(c.type, c.md, mode)),
        );
      }
      case 'readMetadata': {
        const type = child(call, 'type')?.text.trim() ?? '';
        const names = childrenNamed(call, 'fullNames').map((n) => n.text.trim());
        const records = names.map((n) => this.read(type, n));
        const body = records.map((r) => (r ? toXml('records', r, ` xsi:type="${type}"`) : '<records xsi:nil="true"/>')).join('');
        return this.xml(`<readMetadataResponse><result>${body}</result></readMetadataResponse>`);
      }
      case 'deleteMetadata': {
        const type = child(call, 'type')?.text.trim() ?? '';
        const names = childrenNamed(call, 'fullNames').map((n) => n.text.trim());
        return this.respond(
          'deleteMetadata',
          names.map((n) => this.remove(type, n)),
        );
      }
      case 'listMetadata': {
        const types = childrenNamed(call, 'queries').map((q) => child(q, 'type')?.text.trim() ?? '');
        const props = types.flatMap((t) => this.list(t));
        return this.xml(`<listMetadataResponse>${props.map((p) => toXml('result', p)).join('')}</listMetadataResponse>`);
      }
      default:
        return soapFault('INVALID_OPERATION', `the sandbox does not implement ${call.name}`);
    }
  }

  private xml(body: string): SbResponse {
    return { status: 200, contentType: 'text/xml;charset=UTF-8', text: envelope(body) };
  }

  private respond(op: string, results: Result[]): SbResponse {
    const body = results
      .map((r) =>
        toXml('result', {
          ...(r.created !== undefined ? { created: r.created } : {}),
          ...(r.errors?.length
            ? { errors: r.errors.map((e) => ({ fields: e.fields ?? [], message: e.message, statusCode: e.statusCode })) }
            : {}),
          fullName: r.fullName,
          success: r.success,
        }),
      )
      .join('');
    return this.xml(`<${op}Response>${body}</${op}Response>`);
  }

  private save(type: string, md: Md, mode: 'create' | 'update' | 'upsert'): Result {
    const fullName = String(md.fullName ?? '');
    const stored = type === 'CustomField' ? storedName(fullName) : fullName;
    const exists =
      type === 'CustomField' ? this.org.customFields.has(stored.toLowerCase()) : this.org.permissionSets.has(fullName.toLowerCase());
    const err = (statusCode: string, message: string, fields?: string[]): Result => ({
      fullName,
      success: false,
      errors: [{ statusCode, message, fields }],
    });
    if (type !== 'CustomField' && type !== 'PermissionSet')
      return err('INVALID_TYPE', `The sandbox supports CustomField and PermissionSet, not ${type}`);
    if (mode === 'create' && exists) {
      const [obj, field] = fullName.split('.');
      return type === 'CustomField'
        ? err('DUPLICATE_DEVELOPER_NAME', `There is already a field named ${field!.replace(/__c$/, '')} on ${obj}.`)
        : err('DUPLICATE_DEVELOPER_NAME', `The permission set name "${fullName}" is already in use.`);
    }
    if (mode === 'update' && !exists) return err('INVALID_CROSS_REFERENCE_KEY', `In field: fullName - no ${type} named ${fullName} found`);
    const problem = type === 'CustomField' ? this.checkField(stored, md) : this.checkPermissionSet(md);
    if (problem) return err(problem.statusCode, problem.message, problem.fields);
    if (type === 'CustomField') this.putField(stored, md, fullName);
    else this.putPermissionSet(fullName, md);
    return { fullName, success: true, ...(mode === 'upsert' ? { created: !exists } : {}) };
  }

  private checkField(fullName: string, md: Md): MdError | null {
    const [obj, field] = fullName.split('.');
    if (!obj || !field || !FIELD_OBJECTS.has(obj))
      return {
        statusCode: 'INVALID_CROSS_REFERENCE_KEY',
        message: `In field: fullName - no CustomObject named ${obj} found`,
        fields: ['fullName'],
      };
    if (!/^[A-Za-z][A-Za-z0-9_]*__c$/.test(field) || field.includes('___'))
      return {
        statusCode: 'FIELD_INTEGRITY_EXCEPTION',
        message: 'Custom field names must end with __c and contain only letters, digits and single underscores',
        fields: ['fullName'],
      };
    if (!md.label) return { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'Field Label: You must enter a value', fields: ['label'] };
    const t = String(md.type ?? '');
    if (
      ![
        'Text',
        'TextArea',
        'LongTextArea',
        'Number',
        'Percent',
        'Currency',
        'Checkbox',
        'Date',
        'DateTime',
        'Picklist',
        'Email',
        'Url',
      ].includes(t)
    ) {
      return {
        statusCode: 'FIELD_INTEGRITY_EXCEPTION',
        message: `Field Type: bad value for restricted picklist field: ${t}`,
        fields: ['type'],
      };
    }
    if ((t === 'Text' || t === 'LongTextArea') && !md.length)
      return { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'Length: You must enter a value', fields: ['length'] };
    if ((t === 'Number' || t === 'Percent' || t === 'Currency') && md.precision === undefined)
      return { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'Length: You must enter a value', fields: ['precision'] };
    if (t === 'LongTextArea' && !md.visibleLines)
      return { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: '# Visible Lines: You must enter a value', fields: ['visibleLines'] };
    if (t === 'Picklist' && !md.valueSet)
      return {
        statusCode: 'FIELD_INTEGRITY_EXCEPTION',
        message: 'Values: You must enter at least one picklist value',
        fields: ['valueSet'],
      };
    return null;
  }

  private checkPermissionSet(md: Md): MdError | null {
    if (!md.label) return { statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'Label: You must enter a value', fields: ['label'] };
    for (const fp of asArray(md.fieldPermissions as Md | Md[] | undefined)) {
      const field = String(fp.field ?? '').replace(/^Event\./i, 'Task.'); // activity fields share FLS
      const [obj] = field.split('.');
      const known =
        this.org.customFields.has(field.toLowerCase()) ||
        (obj && this.org.describe(obj)?.fields.some((f) => `${obj}.${f.name}`.toLowerCase() === field.toLowerCase()));
      if (!known)
        return {
          statusCode: 'FIELD_INTEGRITY_EXCEPTION',
          message: `In field: field - no CustomField named ${field} found`,
          fields: ['field'],
        };
    }
    return null;
  }

  putField(fullName: string, md: Md, asNamed = fullName): void {
    const [obj, field] = fullName.split('.');
    const key = fullName.toLowerCase();
    const prev = this.org.customFields.get(key);
    this.org.customFields.set(key, {
      fullName: `${obj}.${field}`,
      def: customFieldDef(field!, md),
      metadata: { ...md, fullName: asNamed },
      createdAt: prev?.createdAt ?? this.org.now(),
    });
  }

  putPermissionSet(fullName: string, md: Md): void {
    const key = fullName.toLowerCase();
    const prev = this.org.permissionSets.get(key);
    this.org.permissionSets.set(key, {
      id: prev?.id ?? sfId(SF_PREFIX.PermissionSet, this.org.permissionSets.size + 1),
      fullName,
      label: String(md.label ?? fullName),
      description: md.description === undefined ? null : String(md.description),
      fieldPermissions: asArray(md.fieldPermissions as Md | Md[] | undefined).map((fp) => ({
        field: String(fp.field),
        readable: bool(fp.readable),
        editable: bool(fp.editable),
      })),
      createdAt: prev?.createdAt ?? this.org.now(),
    });
  }

  private read(type: string, fullName: string): Md | null {
    if (type === 'CustomField') return this.org.customFields.get(storedName(fullName).toLowerCase())?.metadata ?? null;
    if (type === 'PermissionSet') {
      const ps = this.org.permissionSets.get(fullName.toLowerCase());
      return ps
        ? {
            fullName: ps.fullName,
            ...(ps.description ? { description: ps.description } : {}),
            fieldPermissions: ps.fieldPermissions,
            hasActivationRequired: false,
            label: ps.label,
          }
        : null;
    }
    return null;
  }

  private remove(type: string, fullName: string): Result {
    const map = type === 'CustomField' ? this.org.customFields : type === 'PermissionSet' ? this.org.permissionSets : null;
    if (!map?.delete((type === 'CustomField' ? storedName(fullName) : fullName).toLowerCase()))
      return {
        fullName,
        success: false,
        errors: [{ statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: `In field: fullName - no ${type} named ${fullName} found` }],
      };
    return { fullName, success: true };
  }

  private list(type: string): Md[] {
    const common = (fullName: string, id: string, created: number) => ({
      createdById: this.org.integrationUserId,
      createdByName: 'Integration User',
      createdDate: sfDateTime(created),
      fileName: '',
      fullName,
      id,
      lastModifiedById: this.org.integrationUserId,
      lastModifiedByName: 'Integration User',
      lastModifiedDate: sfDateTime(created),
      manageableState: 'unmanaged',
      type,
    });
    if (type === 'CustomField')
      return [...this.org.customFields.values()].map((f, i) => ({
        ...common(f.fullName, sfId(SF_PREFIX.CustomField, i + 1), f.createdAt),
        fileName: `objects/${f.fullName.split('.')[0]}.object`,
      }));
    if (type === 'PermissionSet')
      return [...this.org.permissionSets.values()].map((p) => ({
        ...common(p.fullName, p.id, p.createdAt),
        fileName: `permissionsets/${p.fullName}.permissionset`,
      }));
    return [];
  }
}
