// Summaries (medians over rounds, Warren/RabbitMQ ratios) and their text / Markdown / JSON forms.
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FIGURES, KINDS } from './kinds.mjs';

export const DOCS_BEGIN = '<!-- bench:results:begin -->';
export const DOCS_END = '<!-- bench:results:end -->';

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function fmt(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const d = Math.abs(x) >= 1000 ? 0 : digits;
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function ratio(a, b) {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '—';
  const r = a / b;
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

/**
 * results: [{ scenario, broker, round, figures, problems, notes, error }]
 * → { [scenario]: { figures: [{ key, label, unit, better, values: {broker: median}, rounds: {broker: [..]}, ratio }], runs } }
 */
export function summarise(results, scenarios, brokers) {
  const out = {};
  for (const sc of scenarios) {
    const kind = KINDS[sc.kind];
    const runs = results.filter((r) => r.scenario === sc.name);
    const figures = kind.figures.map((key) => {
      const meta = FIGURES[key];
      const values = {}, rounds = {};
      for (const b of brokers) {
        const vals = runs.filter((r) => r.broker === b.name && !r.error).map((r) => r.figures?.[key] ?? null);
        rounds[b.name] = vals;
        values[b.name] = median(vals);
      }
      const [a, b] = brokers.map((x) => values[x.name]);
      return { key, ...meta, values, rounds, ratio: brokers.length === 2 ? ratio(a, b) : null };
    }).filter((f) => brokers.some((b) => f.rounds[b.name].some((v) => v !== null)) || runs.every((r) => r.error));
    out[sc.name] = { title: sc.title, figures, runs, targets: checkTargets(sc, figures, brokers) };
  }
  return out;
}

/**
 * The scenario's targets (scenarios.mjs) against the medians: [{ text, actual, met }], met null when
 * a figure is missing. Ratios are the first broker (Warren) over the second (RabbitMQ).
 */
export function checkTargets(sc, figures, brokers) {
  const out = [];
  for (const t of sc.targets ?? []) {
    const f = figures.find((x) => x.key === t.figure);
    const meta = FIGURES[t.figure];
    const op = t.ratio ?? t.abs;
    const want = t.ratio ? `${op} ${t.value}× RabbitMQ` : `${op} ${t.value} ${meta.unit}`;
    let actual = null;
    if (f && t.ratio && brokers.length === 2) {
      const [a, b] = brokers.map((x) => f.values[x.name]);
      if (a != null && b != null && b !== 0) actual = a / b;
    } else if (f && t.abs) {
      actual = f.values[brokers[0].name];
    }
    const met = actual == null ? null : op === '>=' ? actual >= t.value : actual <= t.value;
    const shown = actual == null ? 'n/a' : t.ratio ? `${ratio(actual, 1)}×` : `${fmt(actual, meta.digits)} ${meta.unit}`;
    out.push({ text: `${meta.label} ${want}`, actual: shown, met });
  }
  return out;
}

const mark = (met) => (met === null ? '?' : met ? 'met' : 'MISSED');

function label(f) {
  return `${f.label} (${f.unit}) ${f.better === 'higher' ? '↑' : '↓'}`;
}

function runStatus(runs, brokerName) {
  const rs = runs.filter((r) => r.broker === brokerName);
  const bad = rs.filter((r) => r.error).length;
  const warn = rs.filter((r) => !r.error && r.problems?.length).length;
  return { n: rs.length, bad, warn };
}

/** Plain-text table for stdout. */
export function textTable(summary, brokers) {
  const lines = [];
  for (const [name, s] of Object.entries(summary)) {
    lines.push('');
    lines.push(`== ${name}: ${s.title}`);
    const header = ['figure', ...brokers.map((b) => b.label), brokers.length === 2 ? `${brokers[0].label}/${brokers[1].label}` : null].filter(Boolean);
    const rows = s.figures.map((f) => [label(f), ...brokers.map((b) => fmt(f.values[b.name], f.digits)), brokers.length === 2 ? f.ratio : null].filter((x) => x !== null));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
    const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
    lines.push(line(header));
    for (const r of rows) lines.push(line(r));
    for (const t of s.targets) lines.push(`  target: ${t.text}: ${t.actual} — ${mark(t.met)}`);
    for (const b of brokers) {
      const st = runStatus(s.runs, b.name);
      if (st.bad || st.warn) lines.push(`  ${b.label}: ${st.bad} of ${st.n} runs failed, ${st.warn} with problems`);
    }
    const noise = Math.max(0, ...s.runs.filter((r) => r.seconds && r.otherCpuS != null).map((r) => r.otherCpuS / r.seconds));
    if (noise >= 0.1) lines.push(`  note: other processes on the machine used up to ${noise.toFixed(2)} cores during these runs`);
    for (const r of s.runs) {
      if (r.error) lines.push(`  ! ${r.broker} round ${r.round}: FAILED: ${r.error}`);
      for (const p of r.problems ?? []) lines.push(`  ! ${r.broker} round ${r.round}: ${p}`);
    }
  }
  return lines.join('\n');
}

const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One table of every scenario's targets: what the issue asks, what this run measured, met or not. */
export function targetsMarkdown(summary, scenarios) {
  const rows = [];
  for (const sc of scenarios) {
    for (const t of summary[sc.name]?.targets ?? []) rows.push(`| ${sc.name} | ${esc(t.text)} | ${t.actual} | ${t.met === null ? '?' : t.met ? 'met' : '**missed**'} |`);
  }
  if (rows.length === 0) return '';
  return ['| scenario | target | measured | |', '|---|---|---:|---|', ...rows].join('\n');
}

/** Markdown: one table per scenario, then failures and problems. */
export function markdownTables(summary, brokers, scenarios, opts) {
  const out = [];
  for (const sc of scenarios) {
    const s = summary[sc.name];
    if (!s) continue;
    out.push(`### ${sc.name}: ${sc.title}`);
    out.push('');
    out.push(`${KINDS[sc.kind].describe(sc, opts)}.`);
    out.push('');
    const two = brokers.length === 2;
    out.push(`| figure | ${brokers.map((b) => b.label).join(' | ')} |${two ? ` ${brokers[0].label}/${brokers[1].label} |` : ''}`);
    out.push(`|---|${brokers.map(() => '---:').join('|')}|${two ? '---:|' : ''}`);
    for (const f of s.figures) {
      out.push(`| ${label(f)} | ${brokers.map((b) => fmt(f.values[b.name], f.digits)).join(' | ')} |${two ? ` ${f.ratio} |` : ''}`);
    }
    const statusBits = brokers.map((b) => {
      const st = runStatus(s.runs, b.name);
      return `${b.label} ${st.n - st.bad}/${st.n} runs ok${st.warn ? `, ${st.warn} with problems` : ''}`;
    });
    out.push('');
    const noise = Math.max(0, ...s.runs.filter((r) => r.seconds && r.otherCpuS != null).map((r) => r.otherCpuS / r.seconds));
    const noiseText = noise >= 0.1 ? ` **Other processes on the machine used up to ${noise.toFixed(2)} cores during these runs; the figures are disturbed.**` : '';
    out.push(`Medians over rounds. ${statusBits.join('; ')}.${noiseText}`);
    out.push('');
    if (s.targets.length) {
      out.push(`Targets: ${s.targets.map((t) => `${t.text}: **${t.actual}** (${mark(t.met)})`).join('; ')}.`);
      out.push('');
    }
    out.push('<details><summary>every round</summary>');
    out.push('');
    const nr = Math.max(0, ...s.runs.map((r) => r.round));
    const cols = brokers.flatMap((b) => Array.from({ length: nr }, (_, i) => ({ b, round: i + 1 })));
    out.push(`| figure | ${cols.map((c) => `${c.b.label} ${c.round}`).join(' | ')} |`);
    out.push(`|---|${cols.map(() => '---:').join('|')}|`);
    for (const f of s.figures) {
      const cell = (c) => {
        const r = s.runs.find((x) => x.broker === c.b.name && x.round === c.round);
        if (!r) return '';
        if (r.error) return 'failed';
        return fmt(r.figures?.[f.key] ?? null, f.digits);
      };
      out.push(`| ${label(f)} | ${cols.map(cell).join(' | ')} |`);
    }
    const notes = s.runs.flatMap((r) => (r.notes ?? []).map((x) => `- ${r.brokerLabel} round ${r.round}: ${esc(x)}`));
    if (notes.length) {
      out.push('');
      out.push(...notes);
    }
    out.push('');
    out.push('</details>');
    const issues = [];
    for (const r of s.runs) {
      if (r.error) issues.push(`- **${r.brokerLabel} round ${r.round} failed:** ${esc(r.error)}`);
      for (const p of r.problems ?? []) issues.push(`- ${r.brokerLabel} round ${r.round}: ${esc(p)}`);
    }
    if (issues.length) {
      out.push('');
      out.push(...issues);
    }
    out.push('');
  }
  return out.join('\n');
}

export function metaMarkdown(meta) {
  const m = meta.machine;
  return [
    `- Date: ${meta.date}; mode: ${meta.mode} (${meta.options.rounds} round(s), interleaved ${meta.brokers.join(' / ')} per scenario; ${meta.options.duration} s measured after ${meta.options.warmup} s warm-up; backlog ${meta.options.backlog.toLocaleString('en-US')}, recovery backlog ${meta.options.recoveryBacklog.toLocaleString('en-US')}); total ${Math.round(meta.elapsedS / 60)} min`,
    `- Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memTotalGiB} GiB RAM, Linux ${m.kernel}; broker and load generator share it`,
    `- Node ${meta.node}; RabbitMQ ${meta.rabbitmqVersion ?? 'n/a'} (Debian package, default configuration, classic queues); Warren ${meta.warrenCommit ?? 'n/a'}`,
    `- Command: \`${meta.command}\``,
  ].join('\n');
}

export const DURABILITY_NOTE = [
  '> **Durability.** Both brokers confirm a persistent message on a durable queue only after it has been fsynced,',
  '> both in groups (group commit). Seen with `strace -c` on the broker process under S3 (then called P1): Warren issued about 500',
  '> `fdatasync`/s on its write-ahead log (one per group of confirms); RabbitMQ 3.10 about 70 `fsync`/s on the',
  '> queue\'s index journal (1 KB bodies are embedded in its queue index), each followed by a burst of confirms.',
  '> So neither confirms from memory; RabbitMQ trades confirm latency for fewer, larger fsyncs.',
].join('\n');

export function writeResults(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** Replaces the text between the markers in docs/performance.md (creating the file if needed). */
export function updateDocs(docPath, section) {
  const block = `${DOCS_BEGIN}\n${section.trim()}\n${DOCS_END}`;
  let text;
  if (existsSync(docPath)) {
    text = readFileSync(docPath, 'utf8');
    const a = text.indexOf(DOCS_BEGIN);
    const b = text.indexOf(DOCS_END);
    if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + DOCS_END.length);
    else text = `${text.trimEnd()}\n\n${block}\n`;
  } else {
    text = `# Performance\n\n${block}\n`;
  }
  mkdirSync(dirname(docPath), { recursive: true });
  writeFileSync(docPath, text);
}
