import Database from 'better-sqlite3';
import type { CaseRows, EffectRow, InvocationRow, RequestRow } from './rows.js';

/** One case as the ledger keeps it, besides its rows. */
export interface CaseRecord {
  id: string;
  operation: string;
  /** 'strays': requests that arrived while no case was running (see src/runner/strays.ts), counted in no case. */
  kind: 'baseline' | 'systematic' | 'explore' | 'replay' | 'strays';
  scheduleJson: string;
}

export interface CheckRow {
  caseId: string;
  check: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  message: string;
  evidenceJson: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
  id TEXT PRIMARY KEY, operation TEXT NOT NULL, kind TEXT NOT NULL, schedule TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invocations (
  case_id TEXT NOT NULL REFERENCES cases(id), id INTEGER NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,
  key TEXT NOT NULL, argv TEXT NOT NULL, exit_code INTEGER, signal TEXT, killed INTEGER NOT NULL,
  kill_reason TEXT, effect TEXT, stdout_json TEXT, stdout TEXT NOT NULL, stderr TEXT NOT NULL,
  output_truncated INTEGER NOT NULL, started_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL,
  target_kind TEXT NOT NULL, http_status INTEGER, response_headers TEXT, error TEXT, request TEXT,
  PRIMARY KEY (case_id, id)
);
CREATE TABLE IF NOT EXISTS requests (
  case_id TEXT NOT NULL REFERENCES cases(id), id INTEGER NOT NULL, invocation_id INTEGER, upstream TEXT NOT NULL,
  ordinal INTEGER NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, route TEXT NOT NULL, idempotency_key TEXT,
  body TEXT NOT NULL, body_fingerprint TEXT NOT NULL, fault TEXT NOT NULL, committed INTEGER NOT NULL,
  outcome TEXT NOT NULL, delivery TEXT NOT NULL, upstream_status INTEGER, client_status INTEGER,
  started_ms INTEGER NOT NULL, ended_ms INTEGER,
  PRIMARY KEY (case_id, id)
);
CREATE TABLE IF NOT EXISTS effects (
  case_id TEXT NOT NULL REFERENCES cases(id), id INTEGER NOT NULL, operation TEXT NOT NULL, upstream TEXT NOT NULL,
  route TEXT NOT NULL, key TEXT, resource_id TEXT, request_id INTEGER NOT NULL, body TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  PRIMARY KEY (case_id, id)
);
CREATE TABLE IF NOT EXISTS check_results (
  case_id TEXT NOT NULL REFERENCES cases(id), "check" TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL,
  evidence TEXT NOT NULL,
  PRIMARY KEY (case_id, "check")
);
`;

/**
 * The run's ledger: the only module that speaks SQL. One SQLite file per run;
 * each case is written in one transaction, with its check results.
 */
export class Ledger {
  private readonly db: Database.Database;
  private readonly insertCase;
  private readonly insertInvocation;
  private readonly insertRequest;
  private readonly insertEffect;
  private readonly insertCheck;
  private readonly selectInvocations: (caseId: string) => Cells[];
  private readonly selectRequests: (caseId: string) => Cells[];
  private readonly selectEffects: (caseId: string) => Cells[];
  private readonly selectChecks;
  /** Runs a function in one transaction (made once: better-sqlite3 builds a wrapper per `transaction()` call). */
  private readonly inTransaction: (work: () => unknown) => unknown;

  constructor(file: string, options: { readonly?: boolean } = {}) {
    this.db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    }
    // Positional parameters: better-sqlite3 binds named ones by looking each name up on the object, per row.
    this.insertCase = this.db.prepare('INSERT INTO cases (id, operation, kind, schedule) VALUES (?, ?, ?, ?)');
    this.insertInvocation = this.db.prepare(`INSERT INTO invocations VALUES (${placeholders(22)})`);
    this.insertRequest = this.db.prepare(`INSERT INTO requests VALUES (${placeholders(19)})`);
    this.insertEffect = this.db.prepare(`INSERT INTO effects VALUES (${placeholders(10)})`);
    this.insertCheck = this.db.prepare(`INSERT INTO check_results VALUES (${placeholders(5)})`);
    this.selectInvocations = rawReader(this.db.prepare('SELECT * FROM invocations WHERE case_id = ? ORDER BY id'));
    this.selectRequests = rawReader(this.db.prepare('SELECT * FROM requests WHERE case_id = ? ORDER BY id'));
    this.selectEffects = rawReader(this.db.prepare('SELECT * FROM effects WHERE case_id = ? ORDER BY id'));
    this.selectChecks = this.db.prepare('SELECT * FROM check_results WHERE case_id = ? ORDER BY rowid');
    this.inTransaction = this.db.transaction((work: () => unknown) => work());
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  /**
   * Writes a case's rows, reads them back, lets `evaluate` judge what the
   * ledger holds, and stores its verdicts: all in one transaction.
   */
  recordCase<T extends Omit<CheckRow, 'caseId' | 'evidenceJson'> & { evidence?: unknown }>(
    record: CaseRecord,
    rows: CaseRows,
    evaluate: (stored: CaseRows) => T[],
  ): T[] {
    return this.inTransaction(() => {
      this.insertCase.run(record.id, record.operation, record.kind, record.scheduleJson);
      for (const row of rows.invocations) this.insertInvocation.run(invocationParams(row));
      for (const row of rows.requests) this.insertRequest.run(requestParams(row));
      for (const row of rows.effects) this.insertEffect.run(effectParams(row));
      const results = evaluate(this.readCase(record.id));
      for (const result of results) {
        this.insertCheck.run(record.id, result.check, result.status, result.message, JSON.stringify(result.evidence ?? {}));
      }
      return results;
    }) as T[];
  }

  /** Rewrites one check's verdict of a recorded case (a timing failure that did not come back when the case ran again). */
  amendCheck(caseId: string, check: string, status: CheckRow['status'], message: string): void {
    this.db.prepare('UPDATE check_results SET status = ?, message = ? WHERE case_id = ? AND "check" = ?').run(status, message, caseId, check);
  }

  readCase(caseId: string): CaseRows {
    return {
      invocations: this.selectInvocations(caseId).map(invocationFromSql),
      requests: this.selectRequests(caseId).map(requestFromSql),
      effects: this.selectEffects(caseId).map(effectFromSql),
    };
  }

  readChecks(caseId: string): CheckRow[] {
    return (this.selectChecks.all(caseId) as SqlRow[]).map((row) => ({
      caseId: String(row.case_id),
      check: String(row.check),
      status: row.status as CheckRow['status'],
      message: String(row.message),
      evidenceJson: String(row.evidence),
    }));
  }

  /** Copies every case of another ledger into this one; cases both hold (the baselines) are kept once. */
  absorb(file: string): void {
    this.db.prepare('ATTACH DATABASE ? AS other').run(file);
    try {
      this.db.transaction(() => {
        for (const table of ['cases', 'invocations', 'requests', 'effects', 'check_results']) {
          this.db.exec(`INSERT OR IGNORE INTO main.${table} SELECT * FROM other.${table}`);
        }
      })();
    } finally {
      this.db.exec('DETACH DATABASE other');
    }
  }

  /** Folds the WAL into the main file and closes, so the file alone is the whole ledger. */
  close(): void {
    if (this.db.open) {
      if (!this.db.readonly) this.db.pragma('wal_checkpoint(TRUNCATE)');
      if (!this.db.readonly) this.db.pragma('journal_mode = DELETE');
      this.db.close();
    }
  }
}

type SqlRow = Record<string, unknown>;
/** A row read as an array (better-sqlite3's raw mode), its cells found by column name. */
type Cells = (column: string) => unknown;
const bool = (value: boolean): number => (value ? 1 : 0);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/**
 * A query for one case's rows, read as arrays: better-sqlite3 builds no object
 * per row (that was most of the read-back's cost). Columns are found by name,
 * so a ledger written with fewer columns reads as before (absent: undefined).
 */
function rawReader(statement: Database.Statement): (caseId: string) => Cells[] {
  statement.raw(true);
  const index = new Map(statement.columns().map((column, i) => [column.name, i]));
  return (caseId) => (statement.all(caseId) as unknown[][]).map((row) => (column: string) => row[index.get(column) ?? -1]);
}

/** `?, ?, ?`: one per column, in the table's column order. */
function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

// Each row's values in its table's column order.
function invocationParams(row: InvocationRow): unknown[] {
  return [
    row.caseId,
    row.id,
    row.seq,
    row.role,
    row.key,
    JSON.stringify(row.argv),
    row.exitCode,
    row.signal,
    bool(row.killed),
    row.killReason,
    row.effect,
    row.stdoutJson === null || row.stdoutJson === undefined ? null : JSON.stringify(row.stdoutJson),
    row.stdout,
    row.stderr,
    bool(row.outputTruncated),
    row.startedMs,
    row.durationMs,
    row.targetKind ?? 'command',
    row.httpStatus ?? null,
    row.responseHeaders ? JSON.stringify(row.responseHeaders) : null,
    row.error ?? null,
    row.request === undefined ? null : JSON.stringify(row.request),
  ];
}

function requestParams(row: RequestRow): unknown[] {
  return [
    row.caseId,
    row.id,
    row.invocationId,
    row.upstream,
    row.ordinal,
    row.method,
    row.path,
    row.route,
    row.idempotencyKey,
    row.body,
    row.bodyFingerprint,
    row.fault,
    bool(row.committed),
    row.outcome,
    row.delivery,
    row.upstreamStatus,
    row.clientStatus,
    row.startedMs,
    row.endedMs,
  ];
}

function effectParams(row: EffectRow): unknown[] {
  return [row.caseId, row.id, row.operation, row.upstream, row.route, row.key, row.resourceId, row.requestId, row.body, row.fingerprint];
}

function invocationFromSql(row: Cells): InvocationRow {
  return {
    caseId: String(row('case_id')),
    id: Number(row('id')),
    seq: Number(row('seq')),
    role: row('role') as InvocationRow['role'],
    key: String(row('key')),
    argv: JSON.parse(String(row('argv'))) as string[],
    exitCode: numOrNull(row('exit_code')),
    signal: strOrNull(row('signal')),
    killed: row('killed') === 1,
    killReason: strOrNull(row('kill_reason')) as InvocationRow['killReason'],
    effect: strOrNull(row('effect')),
    stdoutJson: row('stdout_json') === null ? null : (JSON.parse(String(row('stdout_json'))) as unknown),
    stdout: String(row('stdout')),
    stderr: String(row('stderr')),
    outputTruncated: row('output_truncated') === 1,
    startedMs: Number(row('started_ms')),
    durationMs: Number(row('duration_ms')),
    targetKind: row('target_kind') as InvocationRow['targetKind'],
    httpStatus: numOrNull(row('http_status')),
    responseHeaders: row('response_headers') === null ? null : (JSON.parse(String(row('response_headers'))) as Record<string, string>),
    error: strOrNull(row('error')),
    request: row('request') === null ? undefined : (JSON.parse(String(row('request'))) as unknown),
  };
}

function requestFromSql(row: Cells): RequestRow {
  return {
    caseId: String(row('case_id')),
    id: Number(row('id')),
    invocationId: numOrNull(row('invocation_id')),
    upstream: String(row('upstream')),
    ordinal: Number(row('ordinal')),
    method: String(row('method')),
    path: String(row('path')),
    route: String(row('route')),
    idempotencyKey: strOrNull(row('idempotency_key')),
    body: String(row('body')),
    bodyFingerprint: String(row('body_fingerprint')),
    fault: String(row('fault')),
    committed: row('committed') === 1,
    outcome: row('outcome') as RequestRow['outcome'],
    delivery: row('delivery') as RequestRow['delivery'],
    upstreamStatus: numOrNull(row('upstream_status')),
    clientStatus: numOrNull(row('client_status')),
    startedMs: Number(row('started_ms')),
    endedMs: numOrNull(row('ended_ms')),
  };
}

function effectFromSql(row: Cells): EffectRow {
  return {
    caseId: String(row('case_id')),
    id: Number(row('id')),
    operation: String(row('operation')),
    upstream: String(row('upstream')),
    route: String(row('route')),
    key: strOrNull(row('key')),
    resourceId: strOrNull(row('resource_id')),
    requestId: Number(row('request_id')),
    body: String(row('body')),
    fingerprint: String(row('fingerprint')),
  };
}
