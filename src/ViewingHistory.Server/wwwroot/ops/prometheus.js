// Just enough of the Prometheus text format for the dashboard: samples by name, summed over every label but the
// ones asked for, and quantiles from the deltas of a histogram's cumulative buckets.

/** Parses exposition text into a Map of metric name to [{ labels, value }]. Comments and timestamps are ignored. */
export function parse(text) {
  const samples = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    if (match[3]) {
      for (const m of match[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
      }
    }
    const value = match[4] === '+Inf' ? Infinity : match[4] === '-Inf' ? -Infinity : Number(match[4]);
    if (!samples.has(match[1])) samples.set(match[1], []);
    samples.get(match[1]).push({ labels, value });
  }
  return samples;
}

/** The sum of every sample of a metric (its series across instances or scopes), or null when it is absent. */
export function total(samples, name) {
  const list = samples.get(name);
  return list ? list.reduce((sum, s) => sum + s.value, 0) : null;
}

/** Sums of a metric grouped by one label, e.g. rejections by reason. */
export function byLabel(samples, name, label) {
  const result = new Map();
  for (const s of samples.get(name) ?? []) {
    const key = s.labels[label] ?? '';
    result.set(key, (result.get(key) ?? 0) + s.value);
  }
  return result;
}

/** Cumulative bucket counts of a histogram, by upper bound, ascending (the last is +Inf). */
export function buckets(samples, name) {
  const byBound = new Map();
  for (const s of samples.get(`${name}_bucket`) ?? []) {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + s.value);
  }
  return [...byBound.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/** What was observed between two scrapes of the same histogram; a restart (counts going down) starts over. */
export function bucketDelta(before, after) {
  const old = new Map((before ?? []).map((b) => [b.le, b.count]));
  const reset = after.some((b) => b.count < (old.get(b.le) ?? 0));
  return after.map((b) => ({ le: b.le, count: reset ? b.count : b.count - (old.get(b.le) ?? 0) }));
}

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside the bucket that holds it, as PromQL's
 * histogram_quantile does. Null with no observations; the highest finite bound when it falls in +Inf.
 */
export function quantile(q, cumulative) {
  if (cumulative.length === 0) return null;
  const count = cumulative[cumulative.length - 1].count;
  if (count <= 0) return null;
  const rank = q * count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count: c } of cumulative) {
    if (c >= rank) {
      if (le === Infinity) return lowerBound;
      const inBucket = c - lowerCount;
      return inBucket <= 0 ? le : lowerBound + ((le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = le;
    lowerCount = c;
  }
  return lowerBound;
}

/** Per-second rate of a counter between two readings; a counter that went down restarted from zero. */
export function rate(before, after, seconds) {
  if (before === null || after === null || seconds <= 0) return null;
  const delta = after >= before ? after - before : after;
  return delta / seconds;
}
