// Offline checks of the deployment files, run by tests/ViewingHistory.Server.Tests/Deployment (installed by
// scripts/test.sh: npm ci in this directory). Nothing here reaches a cluster or a registry.
//
//   node check.mjs manifests OUT.json RENDERED.yaml...
//     Every object of the rendered overlays (kubectl kustomize output) against the JSON schema of its kind
//     (kubernetes-models, @kubernetes-models/keda), then the rules this repository holds its manifests to; writes the
//     objects as JSON to OUT.json for the test's own checks against the code. An object of a kind without a schema
//     here is an error: nothing passes unvalidated.
//   node check.mjs promql OUT.json FILE...
//     Every PromQL expression of Grafana dashboards (*.json) and Prometheus rule files (*.yaml), parsed and type
//     checked by Prometheus's own PromQL grammar and linter (@prometheus-io/codemirror-promql); writes
//     [{file, where, expr, metrics, labels}] to OUT.json so the test can compare the metric and label names with a
//     live server's (labels: those the expression matches, groups or joins on, and those its legend or annotations show).
//
// Exit code 0 when everything passed, 1 with one line per problem on stderr otherwise.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseAllDocuments, parse as parseYaml } from "yaml";

// Prometheus's own PromQL grammar (lezer) and the type checker of its query editor (codemirror-promql), loaded as
// CommonJS so that both share one instance of the grammar's node types. The grammar is taken from where the editor
// package resolves it, the same version it checks against.
const require = createRequire(import.meta.url);
const { EditorState } = require("@codemirror/state");
const { Parser } = require("@prometheus-io/codemirror-promql/dist/cjs/parser/parser.js");
const { parser: grammar } = createRequire(require.resolve("@prometheus-io/codemirror-promql"))("@prometheus-io/lezer-promql");

const [mode, out, ...files] = process.argv.slice(2);
const problems = [];

if (mode === "manifests") {
  const objects = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length > 0) {
        problems.push(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj != null) objects.push({ file, obj });
    }
  }
  if (objects.length === 0) problems.push("no objects rendered");
  for (const { file, obj } of objects) await validateSchema(file, obj);
  checkRules(objects);
  writeFileSync(out, JSON.stringify(objects.map((o) => ({ file: o.file, ...o.obj })), null, 1));
} else if (mode === "promql") {
  const found = [];
  for (const file of files) {
    for (const { where, expr, shown } of expressions(file)) {
      const errors = promqlErrors(expr);
      for (const e of errors) problems.push(`${file} ${where}: ${e} in: ${expr}`);
      found.push({ file, where, expr, metrics: errors.length ? [] : metricNames(expr), labels: errors.length ? [] : [...new Set([...labelNames(expr), ...shown])] });
    }
  }
  if (found.length === 0) problems.push("no PromQL expressions found");
  writeFileSync(out, JSON.stringify(found, null, 1));
} else {
  problems.push("usage: check.mjs manifests|promql OUT.json FILE...");
}

for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);

// ---- Kubernetes objects --------------------------------------------------------------------------------------------

async function validateSchema(file, obj) {
  const id = `${file}: ${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(obj.kind)) {
    problems.push(`${id}: no apiVersion/kind`);
    return;
  }
  // kubernetes-models lays its models out as <group>/<version>/<Kind> (the core group as v1/<Kind>); KEDA's
  // objects come from @kubernetes-models/keda the same way.
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : [null, obj.apiVersion];
  const module = group === null ? `kubernetes-models/${version}/${obj.kind}`
    : group.endsWith("keda.sh") ? `@kubernetes-models/keda/${group}/${version}/${obj.kind}`
    : `kubernetes-models/${group}/${version}/${obj.kind}`;
  let Model;
  try {
    Model = (await import(module))[obj.kind];
  } catch {
    Model = undefined;
  }
  if (typeof Model !== "function") {
    problems.push(`${id}: no schema for ${obj.apiVersion} ${obj.kind}`);
    return;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    const details = Array.isArray(e.errors) ? e.errors.map((x) => `${x.instancePath || "/"} ${x.message}`).join("; ") : String(e.message ?? e);
    problems.push(`${id}: ${details}`);
  }
}

// What the schemas cannot say: one namespace, references that resolve, the probes and limits every workload must
// have, a grace period that covers the drain, autoscalers that own their replica counts.
function checkRules(objects) {
  const all = objects.map((o) => o.obj);
  const byKind = (kind) => all.filter((o) => o.kind === kind);
  const names = (kind) => new Set(byKind(kind).map((o) => o.metadata?.name));
  const id = (o) => `${o.kind}/${o.metadata?.name}`;
  const namespaces = new Set(all.filter((o) => o.kind !== "Namespace").map((o) => o.metadata?.namespace));
  if (namespaces.size !== 1 || namespaces.has(undefined)) problems.push(`objects in namespaces ${[...namespaces].join(", ")}: want all in one`);
  for (const ns of byKind("Namespace")) {
    if (!namespaces.has(ns.metadata?.name)) problems.push(`${id(ns)} is not the namespace the objects are in`);
  }

  const configMaps = new Map(byKind("ConfigMap").map((c) => [c.metadata.name, c.data ?? {}]));
  const claims = names("PersistentVolumeClaim");
  const workloads = [...byKind("Deployment"), ...byKind("StatefulSet")];
  const secrets = new Set();
  for (const w of workloads) {
    const pod = w.spec?.template?.spec ?? {};
    const labels = w.spec?.template?.metadata?.labels ?? {};
    if (!matches(w.spec?.selector?.matchLabels, labels)) problems.push(`${id(w)}: selector does not match its pod labels`);
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${id(w)}: pod securityContext.runAsNonRoot must be true`);
    const claimTemplates = new Set((w.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
    const volumes = new Set([...(pod.volumes ?? []).map((v) => v.name), ...claimTemplates]);
    for (const v of pod.volumes ?? []) {
      if (v.configMap && !configMaps.has(v.configMap.name)) problems.push(`${id(w)}: volume ${v.name} names ConfigMap ${v.configMap.name}, not rendered`);
      if (v.persistentVolumeClaim && !claims.has(v.persistentVolumeClaim.claimName)) problems.push(`${id(w)}: volume ${v.name} names PVC ${v.persistentVolumeClaim.claimName}, not rendered`);
    }
    for (const c of pod.containers ?? []) {
      const cid = `${id(w)} container ${c.name}`;
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        if (!c[probe]) problems.push(`${cid}: no ${probe}`);
      }
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) problems.push(`${cid}: needs requests.cpu, requests.memory and limits.memory`);
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false || sc.readOnlyRootFilesystem !== true || !(sc.capabilities?.drop ?? []).includes("ALL")) {
        problems.push(`${cid}: securityContext must forbid privilege escalation, drop ALL capabilities and mount the root read-only`);
      }
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name)) problems.push(`${cid}: mounts ${m.name}, which is no volume of the pod`);
      }
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name)) problems.push(`${cid}: envFrom names ConfigMap ${from.configMapRef.name}, not rendered`);
      }
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name);
        if (e.valueFrom?.configMapKeyRef && !configMaps.has(e.valueFrom.configMapKeyRef.name)) problems.push(`${cid}: env ${e.name} names a ConfigMap not rendered`);
      }
      if (w.metadata?.labels?.["app.kubernetes.io/name"] === "viewing-history") checkServer(w, pod, c, cid, configMaps);
    }
  }
  // The Secrets the operator creates (README "Run it on Kubernetes"); a reference to any other is a typo.
  for (const s of secrets) {
    if (!["viewing-history-credentials", "viewing-history-postgres"].includes(s)) problems.push(`a container reads Secret ${s}, which the README does not tell the operator to create`);
  }

  const podLabels = workloads.map((w) => w.spec?.template?.metadata?.labels ?? {});
  for (const s of byKind("Service")) {
    if (!podLabels.some((l) => matches(s.spec?.selector, l))) problems.push(`${id(s)}: selector matches no pod`);
  }
  for (const p of byKind("PodDisruptionBudget")) {
    if (!podLabels.some((l) => matches(p.spec?.selector?.matchLabels, l))) problems.push(`${id(p)}: selector matches no pod`);
  }
  const scaled = [...byKind("HorizontalPodAutoscaler"), ...byKind("ScaledObject")];
  const targets = new Set();
  for (const a of scaled) {
    const ref = a.spec?.scaleTargetRef ?? {};
    const target = workloads.find((w) => w.metadata?.name === ref.name && (ref.kind ?? "Deployment") === w.kind);
    if (!target) problems.push(`${id(a)}: scales ${ref.kind ?? "Deployment"}/${ref.name}, not rendered`);
    else if (target.spec?.replicas !== undefined) problems.push(`${id(a)}: ${id(target)} sets spec.replicas, which every apply would reset`);
    if (targets.has(ref.name)) problems.push(`${ref.name} has two autoscalers`);
    targets.add(ref.name);
    const containers = target?.spec?.template?.spec?.containers ?? [];
    const onCpu = a.kind === "HorizontalPodAutoscaler" ? (a.spec?.metrics ?? []).some((m) => m.resource?.name === "cpu") : (a.spec?.triggers ?? []).some((t) => t.type === "cpu");
    if (onCpu && containers.some((c) => !c.resources?.requests?.cpu)) problems.push(`${id(a)} scales on CPU: every container needs a CPU request`);
  }
}

// The server's own contract (CONTRACT.md "Operations", README "Readiness"): probes on its health endpoints, and a
// grace period that lets it drain: DrainDelay, then the host's ShutdownTimeout (20 s) for everything else.
function checkServer(w, pod, c, cid, configMaps) {
  const path = (probe) => c[probe]?.httpGet?.path ?? "";
  if (!path("readinessProbe").startsWith("/health/ready")) problems.push(`${cid}: readiness must probe /health/ready`);
  if (path("livenessProbe") !== "/health/live") problems.push(`${cid}: liveness must probe /health/live`);
  const settings = {};
  for (const from of c.envFrom ?? []) Object.assign(settings, configMaps.get(from.configMapRef?.name) ?? {});
  for (const e of c.env ?? []) if (typeof e.value === "string") settings[e.name] = e.value;
  const drain = seconds(settings.DrainDelay ?? "00:00:00");
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (Number.isNaN(drain)) problems.push(`${cid}: DrainDelay '${settings.DrainDelay}' is no hh:mm:ss`);
  else if (grace < drain + 20 + 5) problems.push(`${cid}: terminationGracePeriodSeconds ${grace} < DrainDelay ${drain} s + ShutdownTimeout 20 s + 5 s to exit`);
  if (drain > 0 && (c.readinessProbe?.periodSeconds ?? 10) * (c.readinessProbe?.failureThreshold ?? 3) > drain) {
    problems.push(`${cid}: DrainDelay ${drain} s is shorter than the readiness probe needs to notice (period × failureThreshold)`);
  }
  if (settings.ConfigFile) checkConfigFile(pod, c, cid, configMaps, settings.ConfigFile);
}

// ConfigFile must be a key of a ConfigMap volume mounted as a directory: the process fails its start without the file,
// and a subPath mount (or a file from anywhere else) is never updated, so a reload would never come.
function checkConfigFile(pod, c, cid, configMaps, file) {
  const slash = file.lastIndexOf("/");
  const [dir, key] = [file.slice(0, slash), file.slice(slash + 1)];
  const mount = (c.volumeMounts ?? []).find((m) => m.mountPath.replace(/\/+$/, "") === dir);
  if (!mount) return problems.push(`${cid}: ConfigFile ${file} is in no directory the container mounts`);
  if (mount.subPath) return problems.push(`${cid}: ConfigFile's mount ${mount.name} uses subPath, which never sees a ConfigMap change`);
  const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
  if (!volume?.configMap) return problems.push(`${cid}: ConfigFile ${file} is not on a ConfigMap volume`);
  const items = volume.configMap.items;
  const source = items ? items.find((i) => i.path === key)?.key : key;
  if (source === undefined || !(source in (configMaps.get(volume.configMap.name) ?? {}))) {
    problems.push(`${cid}: ConfigFile ${file}: ConfigMap ${volume.configMap.name} has no key for ${key}`);
  }
}

function seconds(timespan) {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(timespan);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
}

function matches(selector, labels) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

// ---- PromQL --------------------------------------------------------------------------------------------------------

// Grafana's variables are not PromQL: each is replaced by what Grafana would put there before parsing.
function grafanaToPromql(expr) {
  return expr
    .replaceAll(/\$__rate_interval|\$__interval|\$__range|\$\{__rate_interval\}|\$\{__interval\}|\$\{__range\}/g, "5m")
    .replaceAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, "value");
}

function expressions(file) {
  const text = readFileSync(file, "utf8");
  const found = [];
  if (file.endsWith(".json")) {
    const dashboard = JSON.parse(text);
    const walk = (panels, path) => {
      for (const p of panels ?? []) {
        for (const t of p.targets ?? []) {
          if (typeof t.expr === "string") found.push({ where: `${path}panel "${p.title}" ${t.refId ?? ""}`.trim(), expr: grafanaToPromql(t.expr), shown: templateLabels(t.legendFormat, /\{\{\s*(\w+)\s*\}\}/g) });
        }
        walk(p.panels, `${path}row "${p.title}" / `);
      }
    };
    walk(dashboard.panels, "");
    for (const v of dashboard.templating?.list ?? []) {
      const q = typeof v.query === "string" ? v.query : v.query?.query;
      if (v.type === "query" && typeof q === "string") {
        // label_values(metric, label) is Grafana's, not PromQL: its metric is what must exist.
        const lv = /^label_values\(\s*([^,]+?)\s*,\s*\w+\s*\)$/.exec(q);
        found.push({ where: `variable ${v.name}`, expr: grafanaToPromql(lv ? lv[1] : q), shown: [] });
      }
    }
  } else {
    const rules = parseYaml(text);
    if (!Array.isArray(rules?.groups) || rules.groups.length === 0) problems.push(`${file}: no rule groups`);
    for (const g of rules?.groups ?? []) {
      if (typeof g.name !== "string" || !Array.isArray(g.rules) || g.rules.length === 0) problems.push(`${file}: group ${g.name} needs a name and rules`);
      for (const r of g.rules ?? []) {
        const name = r.alert ?? r.record;
        if (typeof name !== "string" || typeof r.expr !== "string") {
          problems.push(`${file} group ${g.name}: a rule needs alert (or record) and expr`);
          continue;
        }
        if (r.alert !== undefined && !(typeof r.for === "string" && /^\d+[smh]$/.test(r.for))) problems.push(`${file} alert ${name}: needs a for: duration`);
        if (r.alert !== undefined && !(r.labels?.severity && r.annotations?.summary && r.annotations?.description)) problems.push(`${file} alert ${name}: needs labels.severity, annotations.summary and annotations.description`);
        found.push({ where: `group ${g.name} rule ${name}`, expr: r.expr, shown: templateLabels(Object.values(r.annotations ?? {}).join(" "), /\$labels\.(\w+)/g) });
      }
    }
  }
  return found;
}

function promqlErrors(expr) {
  // The whole expression, parsed at once: an editor state parses within a time budget and, on a busy machine, hands
  // over a partial tree whose end looks like a syntax error.
  const tree = grammar.parse(expr);
  const errors = [];
  // Syntax: any error node of the grammar (the linter skips some, e.g. an unclosed list at the very end).
  tree.iterate({ enter: (n) => { if (n.type.isError) errors.push(`syntax error at ${n.from}`); } });
  // Types: the linter's diagnostics (a range vector where an instant vector belongs, an unknown function, ...). It
  // reads the tree of the editor state it is given; it is handed the complete one instead.
  const linter = new Parser(EditorState.create({ doc: expr }));
  linter.tree = tree;
  linter.analyze();
  for (const d of linter.getDiagnostics()) errors.push(d.message);
  return errors;
}

// The labels a legend ({{reason}}) or an annotation ({{ $labels.role }}) shows: each must be on the series.
function templateLabels(text, pattern) {
  return typeof text === "string" ? [...text.matchAll(pattern)].map((m) => m[1]) : [];
}

// Every label the expression matches on, groups by or joins on.
function labelNames(expr) {
  const names = new Set();
  grammar.parse(expr).iterate({ enter: (n) => { if (n.name === "LabelName") names.add(expr.slice(n.from, n.to)); } });
  names.delete("__name__");
  return [...names];
}

function metricNames(expr) {
  const names = new Set();
  grammar.parse(expr).iterate({
    enter: (n) => {
      if (n.name === "VectorSelector") {
        const id = n.node.getChild("Identifier");
        if (id) names.add(expr.slice(id.from, id.to));
        // {__name__="..."} names a metric too.
        const m = /__name__\s*=\s*"([^"]+)"/.exec(expr.slice(n.from, n.to));
        if (m) names.add(m[1]);
      }
    },
  });
  return [...names];
}
