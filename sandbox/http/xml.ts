/**
 * A small XML reader for SOAP envelopes (elements, attributes, text, entities; no DTDs, no
 * processing instructions beyond the declaration). The Metadata API requests jsforce builds are
 * plain enough that this is all the sandbox needs.
 */
export interface XmlNode {
  /** Local name, without the namespace prefix. */
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const decode = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'lt'
      ? '<'
      : e === 'gt'
        ? '>'
        : e === 'amp'
          ? '&'
          : e === 'quot'
            ? '"'
            : e === 'apos'
              ? "'"
              : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );

export const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export function parseXml(src: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const re =
    /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\/([^\s>]+)\s*>|<([^\s/>]+)((?:\s+[^\s=>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  for (const m of src.matchAll(re)) {
    const top = stack[stack.length - 1]!;
    if (m[1] !== undefined) top.text += m[1];
    else if (m[2]) {
      const local = m[2].split(':').pop()!;
      if (top.name !== local || stack.length === 1) throw new Error(`malformed XML: unexpected </${m[2]}>`);
      stack.pop();
    } else if (m[3]) {
      const attrs: Record<string, string> = {};
      for (const a of m[4]!.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = decode(a[2] ?? a[3] ?? '');
      const node: XmlNode = { name: m[3].split(':').pop()!, attrs, children: [], text: '' };
      top.children.push(node);
      if (!m[5]) stack.push(node);
    } else if (m[6] !== undefined) top.text += decode(m[6]);
  }
  if (stack.length !== 1) throw new Error(`malformed XML: <${stack[stack.length - 1]!.name}> is not closed`);
  return root;
}

export const child = (n: XmlNode, name: string): XmlNode | undefined => n.children.find((c) => c.name === name);
export const childrenNamed = (n: XmlNode, name: string): XmlNode[] => n.children.filter((c) => c.name === name);

/** Element → plain value: text for leaves, objects for branches (repeated names become arrays). */
export function toValue(n: XmlNode): unknown {
  if (!n.children.length) return n.attrs['xsi:nil'] === 'true' ? null : n.text.trim();
  const out: Record<string, unknown> = {};
  for (const c of n.children) {
    const v = toValue(c);
    if (c.name in out) out[c.name] = ([] as unknown[]).concat(out[c.name], v);
    else out[c.name] = v;
  }
  return out;
}

/** Plain value → XML elements (arrays repeat the element; null is xsi:nil). */
export function toXml(name: string, v: unknown, attrs = ''): string {
  if (Array.isArray(v)) return v.map((x) => toXml(name, x)).join('');
  if (v === null || v === undefined) return `<${name}${attrs} xsi:nil="true"/>`;
  if (typeof v === 'object')
    return `<${name}${attrs}>${Object.entries(v)
      .map(([k, x]) => toXml(k, x))
      .join('')}</${name}>`;
  return `<${name}${attrs}>${escapeXml(String(v))}</${name}>`;
}
