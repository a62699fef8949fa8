// nut-ts dashboard: plain ES module, no build step. Reads /api/v1, follows /api/v1/events.
const api = (path, init) => fetch(`/api/v1${path}`, { credentials: 'same-origin', ...init });
const STATUS_WORDS = { OL: 'On line', OB: 'On battery', LB: 'Low battery', HB: 'High battery', RB: 'Replace battery', CHRG: 'Charging', DISCHRG: 'Discharging', BYPASS: 'Bypass', CAL: 'Calibrating', OFF: 'Off', OVER: 'Overloaded', TRIM: 'Trimming', BOOST: 'Boosting', FSD: 'Forced shutdown', ALARM: 'Alarm' };
const SERIES = [['battery.charge', '#1b7f3b'], ['ups.load', '#3a6fd8'], ['input.voltage', '#b86e00'], ['output.voltage', '#8a3ab8']];

const state = { me: { user: null, canSet: false, instcmds: [] }, devices: new Map(), open: null };
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k);
  return e;
};
const fmtRuntime = (s) => {
  const n = Number(s);
  if (!Number.isFinite(n)) return '—';
  const m = Math.floor(n / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min ${Math.round(n % 60)} s`;
};
const words = (status) => (status ?? '').split(/\s+/).filter(Boolean).map((t) => STATUS_WORDS[t] ?? t).join(', ') || 'unknown';

function card(d) {
  const v = d.values ?? {};
  const tokens = (d.status ?? '').split(/\s+/);
  const cls = ['card', !d.connected || d.stale ? 'down' : tokens.includes('LB') ? 'lb' : tokens.includes('OB') ? 'ob' : tokens.includes('OL') ? 'ol' : ''].join(' ');
  const charge = Number(v['battery.charge']);
  const row = (label, value) => (value === undefined ? [] : [el('dt', {}, label), el('dd', {}, value)]);
  return el(
    'article',
    { class: cls, 'data-ups': d.name, tabindex: 0, onclick: () => openDevice(d.name), onkeydown: (e) => e.key === 'Enter' && openDevice(d.name) },
    el('h2', {}, d.name),
    el('div', { class: 'desc' }, d.desc ?? v['device.model'] ?? ''),
    el('div', { class: 'status', 'data-field': 'status' }, !d.connected ? 'Driver not connected' : d.stale ? 'Data stale' : words(d.status)),
    Number.isFinite(charge) ? el('div', { class: 'bar', title: `battery ${charge} %` }, el('span', { style: `width:${Math.max(0, Math.min(100, charge))}%` })) : null,
    el(
      'dl',
      { class: 'kv' },
      row('Charge', v['battery.charge'] !== undefined ? `${v['battery.charge']} %` : undefined),
      row('Runtime', v['battery.runtime'] !== undefined ? fmtRuntime(v['battery.runtime']) : undefined),
      row('Load', v['ups.load'] !== undefined ? `${v['ups.load']} %` : undefined),
      row('Input', v['input.voltage'] !== undefined ? `${v['input.voltage']} V` : undefined),
      row('Output', v['output.voltage'] !== undefined ? `${v['output.voltage']} V` : undefined),
    ),
  );
}

function renderGrid() {
  const grid = document.getElementById('devices');
  grid.replaceChildren(...[...state.devices.values()].map(card));
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderGrid();
    if (state.open) renderDetailValues();
  });
}

async function loadDevice(name) {
  const r = await api(`/devices/${encodeURIComponent(name)}`);
  if (r.ok) state.devices.set(name, await r.json());
}

async function loadAll() {
  const list = await (await api('/devices')).json();
  state.devices = new Map(list.map((d) => [d.name, d]));
  await Promise.all(list.map((d) => loadDevice(d.name)));
  renderGrid();
}

function chart(samples) {
  const W = 600;
  const H = 140;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'chart');
  if (samples.length < 2) return svg;
  const t0 = samples[0].t;
  const t1 = samples[samples.length - 1].t;
  for (const [name, color] of SERIES) {
    const pts = samples.filter((s) => s.values[name] !== null && s.values[name] !== undefined);
    if (pts.length < 2) continue;
    const max = Math.max(...pts.map((s) => s.values[name]), name.endsWith('voltage') ? 1 : 100);
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', pts.map((s) => `${(((s.t - t0) / (t1 - t0 || 1)) * W).toFixed(1)},${(H - (s.values[name] / max) * (H - 4) - 2).toFixed(1)}`).join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', color);
    line.setAttribute('stroke-width', '2');
    line.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(line);
  }
  return svg;
}

async function runCommand(ups, cmd, out) {
  out.textContent = 'sent…';
  const r = await api(`/devices/${encodeURIComponent(ups)}/commands/${encodeURIComponent(cmd)}?wait=5000`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = await r.json();
  out.textContent = r.ok ? body.status : `${body.error}: ${body.message}`;
}

async function setVariable(ups, name, value, out) {
  out.textContent = 'sent…';
  const r = await api(`/devices/${encodeURIComponent(ups)}/variables/${encodeURIComponent(name)}?wait=5000`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
  const body = await r.json();
  out.textContent = r.ok ? body.status : `${body.error}: ${body.message}`;
}

async function openDevice(name) {
  state.open = name;
  const detail = document.getElementById('detail');
  detail.hidden = false;
  const enc = encodeURIComponent(name);
  const [vars, cmds, hist] = await Promise.all([api(`/devices/${enc}/variables`), api(`/devices/${enc}/commands`), api(`/devices/${enc}/history`)].map((p) => p.then((r) => r.json())));
  const varRows = vars.map((v) => {
    const out = el('span', { class: 'result' });
    const input = v.writable && state.me.canSet ? (v.enum.length ? el('select', {}, v.enum.map((e) => el('option', { selected: e === v.value }, e))) : el('input', { value: v.value, 'aria-label': v.name })) : null;
    return el(
      'tr',
      { 'data-var': v.name },
      el('td', { title: v.description ?? '' }, v.name),
      el('td', { 'data-field': 'value' }, v.value),
      el('td', {}, input ? [input, el('button', { onclick: () => setVariable(name, v.name, input.value, out) }, 'Set'), out] : v.writable ? el('span', { class: 'result' }, 'read only for you') : ''),
    );
  });
  const cmdRows = cmds.map((c) => {
    const out = el('span', { class: 'result', 'data-result': c.name });
    return el('tr', {}, el('td', { title: c.description ?? '' }, c.name), el('td', {}, c.description ?? ''), el('td', {}, el('button', { disabled: !c.allowed, 'data-cmd': c.name, onclick: () => runCommand(name, c.name, out) }, 'Run'), out));
  });
  detail.replaceChildren(
    el('h2', {}, name, ' ', el('button', { onclick: () => { state.open = null; detail.hidden = true; } }, 'Close')),
    el('h3', {}, 'Last hours'),
    chart(hist.samples),
    el('div', { class: 'legend' }, SERIES.map(([n, c]) => el('span', { style: `color:${c}` }, `— ${n}`))),
    el('h3', {}, 'Commands'),
    cmdRows.length ? el('table', {}, cmdRows) : el('p', {}, 'none'),
    el('h3', {}, 'Variables'),
    el('table', { id: 'vars' }, varRows),
  );
}

function renderDetailValues() {
  const d = state.devices.get(state.open);
  if (!d?.values) return;
  for (const row of document.querySelectorAll('#vars tr[data-var]')) {
    const cell = row.querySelector('[data-field=value]');
    const v = d.values[row.dataset.var];
    if (cell && v !== undefined && cell.textContent !== v) cell.textContent = v;
  }
}

function follow() {
  const live = document.getElementById('live');
  const es = new EventSource('/api/v1/events');
  es.onopen = () => { live.textContent = 'live'; live.classList.remove('off'); };
  es.onerror = () => { live.textContent = 'reconnecting'; live.classList.add('off'); };
  const on = (type, fn) => es.addEventListener(type, (m) => fn(JSON.parse(m.data)));
  on('variable', (e) => {
    const d = state.devices.get(e.device);
    if (!d) return;
    d.values ??= {};
    if (e.data.value === null) delete d.values[e.data.name];
    else d.values[e.data.name] = e.data.value;
    if (e.data.name.toLowerCase() === 'ups.status') d.status = e.data.value;
    scheduleRender();
  });
  on('driver', (e) => {
    const d = state.devices.get(e.device);
    if (!d) return;
    d.connected = e.data.connected;
    d.stale = e.data.stale;
    scheduleRender();
  });
  on('device', () => loadAll());
  on('reset', () => loadAll());
}

async function main() {
  const me = await api('/me');
  if (me.ok) state.me = await me.json();
  document.getElementById('who').textContent = state.me.user ? `signed in as ${state.me.user}` : 'read only';
  await loadAll();
  follow();
}
main();
