// The fields of the monitor form that belong to one type: an HTTP(S) monitor's request and
// assertions, a DNS monitor's query. Each has its text state (what the inputs hold), the
// conversion from the API's answer and to its body, and the component that edits it.
import { useEffect, useId, useRef, useState } from "react";
import { BODY_METHODS, DNS_RECORD_TYPES, HTTP_METHODS } from "../lib/types";
import type { DnsOptions, DnsRecordType, HttpMethod, HttpOptions, HttpOptionsInput } from "../lib/types";
import { Checkbox, SelectField, TextAreaField, TextField } from "../components/Field";

export const DEFAULT_EXPECTED_STATUS = "200-399";

export interface HeaderRow {
  id: number;
  name: string;
  value: string;
}

export interface HttpState {
  method: HttpMethod;
  headers: HeaderRow[];
  body: string;
  expectedStatus: string;
  followRedirects: boolean;
  verifyTls: boolean;
  keyword: string;
  keywordMode: "present" | "absent";
  jsonPath: string;
  jsonExpected: string;
  authUsername: string;
  /** Typed here only; empty keeps the stored one (``passwordSet``). */
  authPassword: string;
  passwordSet: boolean;
}

export interface DnsState {
  recordType: DnsRecordType;
  server: string;
  /** One value a line, or several on a line separated by commas (not for TXT: commas are text there). */
  expected: string;
}

let lastRowId = 0;
export function headerRow(name = "", value = ""): HeaderRow {
  lastRowId += 1;
  return { id: lastRowId, name, value };
}

export function emptyHttp(): HttpState {
  return {
    method: "GET",
    headers: [],
    body: "",
    expectedStatus: "",
    followRedirects: true,
    verifyTls: true,
    keyword: "",
    keywordMode: "present",
    jsonPath: "",
    jsonExpected: "",
    authUsername: "",
    authPassword: "",
    passwordSet: false,
  };
}

export function emptyDns(): DnsState {
  return { recordType: "A", server: "", expected: "" };
}

export function httpFromApi(o: HttpOptions | null | undefined): HttpState {
  const base = emptyHttp();
  if (!o) return base;
  return {
    method: o.method ?? base.method,
    headers: Object.entries(o.headers ?? {}).map(([name, value]) => headerRow(name, value)),
    body: o.body ?? "",
    expectedStatus: o.expected_status && o.expected_status !== DEFAULT_EXPECTED_STATUS ? o.expected_status : "",
    followRedirects: o.follow_redirects ?? true,
    verifyTls: o.verify_tls ?? true,
    keyword: o.keyword ?? "",
    keywordMode: o.keyword_mode ?? "present",
    jsonPath: o.json_path ?? "",
    jsonExpected: o.json_expected ?? "",
    authUsername: o.basic_auth?.username ?? "",
    authPassword: "",
    passwordSet: Boolean(o.basic_auth?.password_set),
  };
}

export function dnsFromApi(o: DnsOptions | null | undefined): DnsState {
  if (!o) return emptyDns();
  const expected = o.expected ?? [];
  // TXT values may hold commas: one a line. Short values of the other types read well on one line.
  const joined = o.record_type === "TXT" || expected.some((v) => v.includes(",")) ? expected.join("\n") : expected.join(", ");
  return { recordType: o.record_type ?? "A", server: o.server ?? "", expected: joined };
}

export const allowsBody = (method: HttpMethod) => BODY_METHODS.includes(method);

/**
 * The HTTP options as the API's body. Every field is sent (null for the empty ones), because a PUT
 * merges nested fields with the stored ones: a keyword cleared here must be sent as null to go.
 */
export function httpToInput(h: HttpState): HttpOptionsInput {
  const headers: Record<string, string> = {};
  for (const row of h.headers) {
    if (row.name.trim() === "" && row.value === "") continue; // an untouched new row
    headers[row.name.trim()] = row.value;
  }
  const username = h.authUsername;
  return {
    method: h.method,
    headers,
    body: allowsBody(h.method) && h.body !== "" ? h.body : null,
    expected_status: h.expectedStatus.trim() || DEFAULT_EXPECTED_STATUS,
    follow_redirects: h.followRedirects,
    verify_tls: h.verifyTls,
    keyword: h.keyword !== "" ? h.keyword : null,
    keyword_mode: h.keywordMode,
    json_path: h.jsonPath.trim() !== "" ? h.jsonPath.trim() : null,
    json_expected: h.jsonExpected !== "" ? h.jsonExpected : null,
    basic_auth: username !== "" ? { username, ...(h.authPassword !== "" ? { password: h.authPassword } : {}) } : null,
  };
}

/** "a, b\nc" → ["a", "b", "c"]; for TXT only line breaks separate values. */
export function parseExpected(text: string, recordType: DnsRecordType): string[] {
  const lines = text.split(/\r?\n/);
  const parts = recordType === "TXT" ? lines : lines.flatMap((line) => line.split(","));
  return parts.map((p) => p.trim()).filter(Boolean);
}

export function dnsToInput(d: DnsState): DnsOptions {
  const expected = parseExpected(d.expected, d.recordType);
  return { record_type: d.recordType, server: d.server.trim() || null, expected: expected.length ? expected : null };
}

/** How many of the advanced HTTP settings differ from the defaults (shown on the closed disclosure). */
export function httpChanges(h: HttpState): number {
  const o = httpToInput(h);
  return [
    o.method !== "GET",
    Object.keys(o.headers).length > 0,
    o.body !== null,
    o.expected_status !== DEFAULT_EXPECTED_STATUS,
    !o.follow_redirects,
    !o.verify_tls,
    o.keyword !== null,
    o.json_path !== null,
    o.basic_auth !== null,
  ].filter(Boolean).length;
}

/** The API's message for ``key`` or for anything under it (``dns.expected.3``). */
export function errorUnder(fields: Record<string, string>, key: string): string | undefined {
  if (fields[key]) return fields[key];
  return Object.entries(fields).find(([k]) => k.startsWith(`${key}.`))?.[1];
}

/** The error keys the HTTP section shows beside a field. */
export function httpPlaces(key: string): boolean {
  return /^http\.(method|headers|body|expected_status|follow_redirects|verify_tls|keyword|keyword_mode|json_path|json_expected|basic_auth)(\.|$)/.test(key);
}

export function dnsPlaces(key: string): boolean {
  return /^dns\.(record_type|server|expected)(\.|$)/.test(key);
}

interface HttpProps {
  value: HttpState;
  onChange: (patch: Partial<HttpState>) => void;
  fields: Record<string, string>;
  open: boolean;
  onToggle: (open: boolean) => void;
  editing: boolean;
}

/** "Advanced request & assertions" of an HTTP(S) monitor: a disclosure, closed while all are defaults. */
export function HttpAdvanced({ value: h, onChange, fields, open, onToggle, editing }: HttpProps) {
  const changes = httpChanges(h);
  const bodyAllowed = allowsBody(h.method);
  return (
    <details className="thresholds advanced" open={open} onToggle={(e) => onToggle((e.target as HTMLDetailsElement).open)} data-testid="http-advanced">
      <summary>
        Advanced request &amp; assertions
        {changes > 0 && <span className="muted summary-note"> · {changes} changed</span>}
      </summary>
      <p className="hint">
        By default a GET that follows redirects and verifies TLS, and any status from 200 to 399 is up. Everything here is optional.
      </p>

      <div className="grid-3">
        <SelectField label="Method" value={h.method} onChange={(e) => onChange({ method: e.target.value as HttpMethod })} error={fields["http.method"]}>
          {HTTP_METHODS.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </SelectField>
        <TextField
          label="Expected status"
          value={h.expectedStatus}
          onChange={(e) => onChange({ expectedStatus: e.target.value })}
          error={fields["http.expected_status"]}
          placeholder={`${DEFAULT_EXPECTED_STATUS} (default)`}
          hint="Codes and ranges, e.g. 200-299,301. Any other status is Down."
          spellCheck={false}
        />
        <div className="field checks-column">
          <Checkbox label="Follow redirects" checked={h.followRedirects} onChange={(e) => onChange({ followRedirects: e.target.checked })} error={fields["http.follow_redirects"]} hint={h.followRedirects ? "Up to 10; the last answer is judged." : "A 3xx answer is judged as it is."} />
          <Checkbox label="Verify TLS certificate" checked={h.verifyTls} onChange={(e) => onChange({ verifyTls: e.target.checked })} error={fields["http.verify_tls"]} />
          {!h.verifyTls && (
            <div className="field-warning" role="status" data-testid="tls-warning">
              ⚠ Certificates are not checked: an expired, self-signed or wrong-host certificate still reads as up, and the connection can be intercepted. Prefer a private CA bundle
              (ONLINETRACKER_CA_BUNDLE).
            </div>
          )}
        </div>
      </div>

      <HeaderRows rows={h.headers} onChange={(headers) => onChange({ headers })} fields={fields} />

      <TextAreaField
        label="Request body"
        value={h.body}
        onChange={(e) => onChange({ body: e.target.value })}
        error={fields["http.body"]}
        disabled={!bodyAllowed}
        rows={3}
        spellCheck={false}
        placeholder={bodyAllowed ? '{"ping": true}' : ""}
        hint={
          bodyAllowed
            ? "Sent as is, up to 64 KiB. Add a Content-Type header to match."
            : `Only sent with POST, PUT, PATCH or DELETE${h.body ? ": the text here is kept but not sent with " + h.method : ""}.`
        }
        fieldClass="body-field"
      />

      <div className="grid-2">
        <div className="field-pair">
          <TextField
            label="Keyword"
            value={h.keyword}
            onChange={(e) => onChange({ keyword: e.target.value })}
            error={fields["http.keyword"]}
            placeholder="e.g. healthy"
            hint="Case-sensitive, in the first 1 MiB of the response."
            spellCheck={false}
          />
          <SelectField label="The keyword must be" value={h.keywordMode} onChange={(e) => onChange({ keywordMode: e.target.value as "present" | "absent" })} error={fields["http.keyword_mode"]}>
            <option value="present">present</option>
            <option value="absent">absent</option>
          </SelectField>
        </div>
        <div className="field-pair">
          <TextField
            label="JSONPath"
            value={h.jsonPath}
            onChange={(e) => onChange({ jsonPath: e.target.value })}
            error={fields["http.json_path"]}
            placeholder="$.status"
            hint="Must match something in the JSON response."
            spellCheck={false}
          />
          <TextField
            label="Expected value"
            value={h.jsonExpected}
            onChange={(e) => onChange({ jsonExpected: e.target.value })}
            error={fields["http.json_expected"]}
            placeholder="ok"
            hint="The first match as text: ok, 42, true. Empty: any."
            spellCheck={false}
          />
        </div>
      </div>

      <div className="grid-2">
        <TextField
          label="Basic auth user"
          value={h.authUsername}
          onChange={(e) => onChange({ authUsername: e.target.value })}
          error={errorUnder(fields, "http.basic_auth.username") ?? fields["http.basic_auth"]}
          autoComplete="off"
          spellCheck={false}
          hint={h.passwordSet && h.authUsername === "" ? "Empty: basic auth is removed, with its saved password." : "Empty: no Authorization header."}
        />
        <TextField
          label="Basic auth password"
          type="password"
          value={h.authPassword}
          onChange={(e) => onChange({ authPassword: e.target.value })}
          error={fields["http.basic_auth.password"]}
          autoComplete="new-password"
          disabled={h.authUsername === ""}
          placeholder={h.passwordSet ? "unchanged" : ""}
          hint={
            h.passwordSet
              ? editing
                ? "Saved and never shown. Type a new one to replace it. (Test runs without the saved password: type it to test.)"
                : "Saved and never shown."
              : "Stored encrypted; never shown again."
          }
        />
      </div>
    </details>
  );
}

/** Request headers as name/value rows; the API's messages go to the row they name. */
function HeaderRows({ rows, onChange, fields }: { rows: HeaderRow[]; onChange: (rows: HeaderRow[]) => void; fields: Record<string, string> }) {
  const base = useId();
  const [focusRow, setFocusRow] = useState<number | null>(null);
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (focusRow === null) return;
    list.current?.querySelector<HTMLInputElement>(`[data-row="${focusRow}"] input`)?.focus();
    setFocusRow(null);
  }, [focusRow]);

  const general = fields["http.headers"];
  const rowError = (row: HeaderRow) => (row.name.trim() ? fields[`http.headers.${row.name.trim()}`] : undefined);
  // "header name 'X Y' is not a valid HTTP token", "header Host is set by the check itself".
  const named = (row: HeaderRow) => {
    const name = row.name.trim();
    if (!general) return false;
    if (name === "") return /header name ''/.test(general);
    return general.includes(`'${name.slice(0, 40)}'`) || general.includes(`header ${name} `);
  };
  const flagged = rows.filter(named);
  const unplaced = Object.entries(fields).filter(([k]) => k.startsWith("http.headers.") && !rows.some((r) => `http.headers.${r.name.trim()}` === k));
  const groupError = [general, ...unplaced.map(([k, m]) => `${k.slice("http.headers.".length)}: ${m}`)].filter(Boolean).join(" ");
  // A message that names no row ("headers must total at most 16 KiB") is about all of them.
  const nameBad = (row: HeaderRow) => Boolean(groupError) && (flagged.length ? flagged.includes(row) : true);
  const groupErrorId = `${base}-error`;
  const update = (id: number, patch: Partial<HeaderRow>) => onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const add = () => {
    const row = headerRow();
    onChange([...rows, row]);
    setFocusRow(row.id);
  };

  return (
    <fieldset className={`field header-rows${groupError ? " has-error" : ""}`} aria-describedby={`${base}-hint`}>
      <legend>Request headers</legend>
      {rows.length > 0 && (
        <ul ref={list} className="header-list" aria-label="Request headers">
          {rows.map((row, i) => {
            const own = rowError(row);
            const ownId = `${base}-row-${row.id}-error`;
            return (
              <li key={row.id} className="header-row" data-row={row.id}>
                <input
                  aria-label={`Header ${i + 1} key`}
                  placeholder="Name, e.g. Authorization"
                  value={row.name}
                  onChange={(e) => update(row.id, { name: e.target.value })}
                  aria-invalid={nameBad(row) || undefined}
                  aria-describedby={nameBad(row) ? groupErrorId : undefined}
                  spellCheck={false}
                  autoCapitalize="off"
                />
                <input
                  aria-label={`Header ${i + 1} value`}
                  placeholder="Value"
                  value={row.value}
                  onChange={(e) => update(row.id, { value: e.target.value })}
                  aria-invalid={own ? true : undefined}
                  aria-describedby={own ? ownId : undefined}
                  spellCheck={false}
                  autoCapitalize="off"
                />
                <button type="button" className="button small subtle" aria-label={`Remove header ${i + 1}${row.name ? ` (${row.name})` : ""}`} onClick={() => onChange(rows.filter((r) => r.id !== row.id))}>
                  Remove
                </button>
                {own && (
                  <div className="field-error" id={ownId} role="alert">
                    {own}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <div>
        <button type="button" className="button small" onClick={add}>
          Add header
        </button>
      </div>
      <div className="hint" id={`${base}-hint`}>
        {rows.length === 0 ? "No extra headers. " : ""}Host, Content-Length, Transfer-Encoding and Connection are set by the check.
      </div>
      {groupError && (
        <div className="field-error" id={groupErrorId} role="alert">
          {groupError}
        </div>
      )}
    </fieldset>
  );
}

interface DnsProps {
  value: DnsState;
  onChange: (patch: Partial<DnsState>) => void;
  fields: Record<string, string>;
}

export function DnsFields({ value: d, onChange, fields }: DnsProps) {
  const values = parseExpected(d.expected, d.recordType);
  return (
    <div className="dns-fields" data-testid="dns-fields">
      <div className="grid-2">
        <SelectField label="Record type" value={d.recordType} onChange={(e) => onChange({ recordType: e.target.value as DnsRecordType })} error={fields["dns.record_type"]}>
          {DNS_RECORD_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </SelectField>
        <TextField
          label="DNS server"
          value={d.server}
          onChange={(e) => onChange({ server: e.target.value })}
          error={fields["dns.server"]}
          placeholder="the system's resolver"
          hint="Optional: host or host:port, e.g. 1.1.1.1 or [2606:4700:4700::1111]:53."
          spellCheck={false}
          autoCapitalize="off"
        />
      </div>
      <TextAreaField
        label="Expected values"
        value={d.expected}
        onChange={(e) => onChange({ expected: e.target.value })}
        error={errorUnder(fields, "dns.expected")}
        rows={2}
        spellCheck={false}
        placeholder={d.recordType === "MX" ? "10 mail.example.com" : d.recordType === "TXT" ? "v=spf1 -all" : d.recordType === "AAAA" ? "2001:db8::1" : d.recordType === "A" ? "93.184.215.14" : "ns1.example.com"}
        hint={
          <>
            Optional: every value must be in the answer (case and a trailing dot don't matter). {d.recordType === "TXT" ? "One a line (commas are part of TXT values)." : "One a line, or separated by commas."}{" "}
            {values.length > 0 ? `${values.length} ${values.length === 1 ? "value" : "values"}.` : "Empty: any answer is up."}
          </>
        }
      />
    </div>
  );
}
