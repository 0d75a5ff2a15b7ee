// Renders the service's own OpenAPI document (/openapi/v1.json) with nothing from elsewhere: the pages' CSP allows only
// this origin. Schemas are shown as compact JSON Schema text, references resolved one level.
const statusLine = document.getElementById('status');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v; else node.setAttribute(k, v);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function refName(schema) {
  return schema && schema.$ref ? schema.$ref.split('/').pop() : null;
}

// A schema as short text: named references stay names (listed under "Schemas"), inline objects are expanded.
function schemaText(schema, doc, depth = 0) {
  if (!schema) return '';
  const name = refName(schema);
  if (name) return depth === 0 ? expand(doc.components.schemas[name], doc, name) : name;
  if (schema.type === 'array' || (Array.isArray(schema.type) && schema.type.includes('array'))) return `[${schemaText(schema.items, doc, depth + 1)}]`;
  return expand(schema, doc, null);
}

function expand(schema, doc, name) {
  if (!schema) return name || '';
  if (!schema.properties) {
    const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type || 'any');
    return schema.enum ? schema.enum.join(' | ') : type;
  }
  const required = new Set(schema.required || []);
  const lines = Object.entries(schema.properties).map(([prop, s]) => {
    const type = refName(s) || (s.enum ? s.enum.map((v) => JSON.stringify(v)).join(' | ')
      : s.type === 'array' || (Array.isArray(s.type) && s.type.includes('array')) ? `[${refName(s.items) || (s.items && s.items.type) || 'any'}]`
      : Array.isArray(s.type) ? s.type.join(' | ') : (s.type || 'any'));
    const rules = [s.format, s.pattern && `pattern ${s.pattern}`, s.minimum !== undefined && `≥ ${s.minimum}`, s.maximum !== undefined && `≤ ${s.maximum}`, s.maxLength !== undefined && `≤ ${s.maxLength} chars`]
      .filter(Boolean).join(', ');
    return `  ${prop}${required.has(prop) ? '' : '?'}: ${type}${rules ? `  (${rules})` : ''}${s.description ? `  // ${s.description}` : ''}`;
  });
  return `${name ? name + ' ' : ''}{\n${lines.join('\n')}\n}`;
}

function operationSection(path, method, op, doc) {
  const id = op.operationId || `${method}-${path}`;
  const section = el('section', { class: 'panel op', id, 'aria-labelledby': `${id}-title` });
  section.append(el('h3', { id: `${id}-title` }, el('span', { class: `method method-${method}` }, method), el('code', { class: 'path' }, path)));
  if (op.summary) section.append(el('p', {}, op.summary));
  const security = (op.security || []).flatMap((r) => Object.keys(r));
  section.append(el('p', { class: 'muted' }, security.length ? `Credential: ${security.join(' or ')}` : 'No credential.'));
  if (op.parameters && op.parameters.length) {
    const table = el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'parameter'), el('th', {}, 'in'), el('th', {}, 'meaning'))));
    const body = el('tbody');
    for (const p of op.parameters) body.append(el('tr', {}, el('td', {}, el('code', {}, p.name)), el('td', {}, p.in), el('td', {}, p.description || (p.schema && p.schema.type) || '')));
    table.append(body);
    section.append(el('h4', {}, 'Parameters'), table);
  }
  if (op.requestBody) {
    for (const [type, media] of Object.entries(op.requestBody.content || {})) {
      section.append(el('h4', {}, `Body (${type})`), el('pre', {}, schemaText(media.schema, doc)));
    }
  }
  const table = el('table', { class: 'responses' }, el('thead', {}, el('tr', {}, el('th', {}, 'status'), el('th', {}, 'meaning'), el('th', {}, 'body'))));
  const body = el('tbody');
  for (const [code, response] of Object.entries(op.responses || {}).sort(([a], [b]) => a.localeCompare(b))) {
    const media = Object.entries(response.content || {});
    const bodyText = media.map(([type, m]) => `${type}: ${refName(m.schema) || schemaText(m.schema, doc)}`).join('\n');
    const headers = Object.keys(response.headers || {});
    body.append(el('tr', { 'data-status': code },
      el('td', { class: 'status-code' }, code),
      el('td', {}, response.description || '', headers.length ? el('span', { class: 'muted' }, ` (header ${headers.join(', ')})`) : null),
      el('td', {}, el('pre', {}, bodyText))));
  }
  table.append(body);
  section.append(el('h4', {}, 'Answers'), table);
  return section;
}

async function render() {
  const response = await fetch('/openapi/v1.json', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`/openapi/v1.json answered ${response.status}`);
  const doc = await response.json();
  document.getElementById('description').textContent = doc.info.description || '';
  const schemes = document.getElementById('schemes');
  for (const [name, scheme] of Object.entries(doc.components.securitySchemes || {})) {
    schemes.append(el('dt', {}, el('code', {}, name), ` (${scheme.scheme}${scheme.bearerFormat ? ', ' + scheme.bearerFormat : ''})`), el('dd', {}, scheme.description || ''));
  }
  const toc = el('ul');
  const operations = document.getElementById('operations');
  for (const [path, item] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (!item[method]) continue;
      const section = operationSection(path, method, item[method], doc);
      operations.append(section);
      toc.append(el('li', {}, el('a', { href: `#${section.id}` }, `${method.toUpperCase()} ${path}`)));
    }
  }
  const schemas = el('section', { class: 'panel', id: 'schemas', 'aria-labelledby': 'schemas-title' }, el('h2', { id: 'schemas-title' }, 'Schemas'));
  for (const [name, schema] of Object.entries(doc.components.schemas || {}).sort(([a], [b]) => a.localeCompare(b))) {
    schemas.append(el('pre', { id: `schema-${name}` }, expand(schema, doc, name)));
  }
  operations.append(schemas);
  document.getElementById('toc').append(el('h2', {}, 'Operations'), toc);
  document.getElementById('intro').hidden = false;
  document.getElementById('toc').hidden = false;
  statusLine.textContent = `${toc.children.length} operations, OpenAPI ${doc.openapi}.`;
  document.body.dataset.rendered = 'true';
}

render().catch((error) => {
  statusLine.textContent = `The API document could not be read: ${error.message}`;
  document.body.dataset.rendered = 'failed';
});
