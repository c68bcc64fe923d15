// Apprise URLs built from a form per service (issue 14). Each builder is a pure function of the form's
// values: it answers the URL, or a message per field it could not use. The syntax follows Apprise's
// own plugin templates (apprise/plugins/<service>.py, e.g. slack's "{schema}://{token_a}/{token_b}/
// {token_c}/{targets}"); every part is percent-encoded, so a "#room", an "@user" or a "/" in a
// password stays inside its own part.

export type AppriseServiceKey =
  | "slack"
  | "discord"
  | "teams"
  | "telegram"
  | "matrix"
  | "ntfy"
  | "gotify"
  | "pushover"
  | "pagerduty"
  | "opsgenie"
  | "other";

/** A service form's values, by field key (all text, as typed). */
export type AppriseValues = Record<string, string>;

export type BuildResult = { ok: true; url: string } | { ok: false; errors: Record<string, string> };

export interface ServiceField {
  key: string;
  label: string;
  type?: "text" | "password" | "select";
  options?: { value: string; label: string }[];
  placeholder?: string;
  hint?: string;
  /** The value a new form starts with ("" when not given). */
  initial?: string;
  /** Shown (and used) only when this holds, e.g. for one of the service's modes. */
  when?: (values: AppriseValues) => boolean;
}

export interface AppriseService {
  key: AppriseServiceKey;
  label: string;
  /** Where the credentials come from, one sentence. */
  help: string;
  fields: ServiceField[];
  build: (values: AppriseValues) => BuildResult;
}

const REQUIRED = "Required.";

/** encodeURIComponent, plus the few characters it leaves that mean something in a URL's parts. */
export function enc(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** "a, b c" → ["a", "b", "c"]: lists are typed comma- or space-separated. */
export function splitList(text: string | undefined): string[] {
  return (text ?? "").split(/[\s,]+/).filter(Boolean);
}

export interface Server {
  secure: boolean;
  /** The host as a URL writes it ("[::1]" for IPv6). */
  host: string;
  port: string;
  /** "" or "/a/b" (no trailing slash). */
  path: string;
}

/** "ntfy.example.com", "host:8080" or "https://host:8443/path" → its parts; null when it isn't one. */
export function parseServer(text: string, defaultSecure = true): Server | null {
  const t = text.trim();
  if (!t) return null;
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(t);
  let url: URL;
  try {
    url = new URL(hasScheme ? t : `${defaultSecure ? "https" : "http"}://${t}`);
  } catch {
    return null;
  }
  if (!["http:", "https:"].includes(url.protocol) || !url.hostname || url.username || url.password || url.search || url.hash) return null;
  return { secure: url.protocol === "https:", host: url.hostname, port: url.port, path: url.pathname.replace(/\/+$/, "") };
}

/** Collects the form's messages while a builder reads its values. */
function reader(values: AppriseValues) {
  const errors: Record<string, string> = {};
  const get = (key: string) => (values[key] ?? "").trim();
  const need = (key: string, message = REQUIRED) => {
    const value = get(key);
    if (!value) errors[key] = message;
    return value;
  };
  const fail = (key: string, message: string) => {
    errors[key] ??= message;
  };
  const done = (url: () => string): BuildResult => (Object.keys(errors).length ? { ok: false, errors } : { ok: true, url: url() });
  return { get, need, fail, done };
}

/** "?a=1&b=2" from the pairs whose value isn't empty ("" when none). */
function query(params: Record<string, string>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `${k}=${enc(v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

const hostPort = (s: Server) => `${s.host}${s.port ? `:${s.port}` : ""}`;

// Slack: an incoming webhook (https://hooks.slack.com/services/T…/B…/…) or a bot token (xoxb-…).
const SLACK_HOOK = /^(?:https:\/\/hooks\.slack\.com\/services\/)?([A-Z0-9]+)\/([A-Z0-9]+)\/([A-Z0-9]+)\/?$/i;

export function slackUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const botname = r.get("botname");
  const user = botname ? `${enc(botname)}@` : "";
  const channels = splitList(values.channels).map(enc);
  if (r.get("mode") === "bot") {
    const token = r.need("token");
    if (token && !/^xox[a-z]-[A-Za-z0-9-]+$/.test(token)) r.fail("token", "A bot token starts with xoxb- (or xoxp- for a user token).");
    if (!channels.length) r.fail("channels", "A bot needs at least one channel, e.g. #alerts.");
    return r.done(() => `slack://${user}${enc(token)}/${channels.join("/")}`);
  }
  const hook = r.need("webhook");
  const match = SLACK_HOOK.exec(hook);
  if (hook && !match) r.fail("webhook", "Paste the URL Slack shows, https://hooks.slack.com/services/T…/B…/….");
  return r.done(() => {
    const [, a, b, c] = match as RegExpExecArray;
    return `slack://${user}${a}/${b}/${c}${channels.length ? `/${channels.join("/")}` : ""}`;
  });
}

// Discord: https://discord.com/api/webhooks/<id>/<token> (also discordapp.com, ptb. and canary.).
const DISCORD_HOOK = /^https:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\/(\d+)\/([A-Za-z0-9_-]+)\/?(?:\?.*)?$/;

export function discordUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const hook = r.need("webhook");
  const match = DISCORD_HOOK.exec(hook);
  if (hook && !match) r.fail("webhook", "Paste the URL Discord shows, https://discord.com/api/webhooks/<id>/<token>.");
  const botname = r.get("botname");
  return r.done(() => {
    const [, id, token] = match as RegExpExecArray;
    return `discord://${botname ? `${enc(botname)}@` : ""}${id}/${token}`;
  });
}

// Microsoft Teams, through a Workflows (Power Automate) webhook; Apprise's "workflows://" plugin.
// The same pattern Apprise uses to read the URL Teams shows (NotifyWorkflows.parse_native_url).
const TEAMS_HOOK =
  /^https:\/\/([A-Z0-9_.-]+)(:[1-9][0-9]{0,4})?(\/powerautomate\/automations\/direct(?:\/cu\/([0-9]+))?)?\/workflows\/([A-Z0-9_-]+)\/triggers\/manual\/paths\/invoke\/?\?(.+)$/i;

export function teamsUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const hook = r.need("webhook");
  const match = TEAMS_HOOK.exec(hook);
  const params = new URLSearchParams(match?.[6] ?? "");
  const sig = params.get("sig") ?? "";
  if (hook && (!match || !/^[A-Za-z0-9_-]+$/.test(sig))) {
    r.fail("webhook", "Paste the whole URL the workflow shows: https://…/workflows/<id>/triggers/manual/paths/invoke?…&sig=….");
  }
  return r.done(() => {
    const [, host, port, powerAutomate, route, workflow] = match as RegExpExecArray;
    const q = query({ pa: powerAutomate ? "yes" : "", route: route ?? "", ver: params.get("api-version") ?? "" });
    return `workflows://${host}${port ?? ""}/${workflow}/${sig}/${q}`;
  });
}

export function telegramUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const token = r.need("token");
  if (token && !/^\d+:[A-Za-z0-9_-]+$/.test(token)) r.fail("token", "A bot token looks like 123456789:AAH…, from @BotFather.");
  const chats = splitList(values.chats);
  if (!chats.length) r.fail("chats", "At least one chat: its id (-100… for a group) or @channel.");
  const bad = chats.find((c) => !/^(-?\d+|@[A-Za-z0-9_]{4,})(:\d+)?$/.test(c));
  if (bad) r.fail("chats", `“${bad}” is neither a chat id nor an @channel.`);
  return r.done(() => `tgram://${token}/${chats.map(enc).join("/")}`);
}

export function matrixUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const server = parseServer(r.need("server"));
  if (r.get("server") && (!server || server.path)) r.fail("server", "The homeserver's address, e.g. matrix.example.org or https://matrix.example.org:8448.");
  let auth = "";
  if (r.get("auth") === "password") {
    const user = r.need("user");
    const password = r.need("password");
    auth = `${enc(user)}:${enc(password)}@`;
  } else {
    auth = `${enc(r.need("token"))}@`;
  }
  const rooms = splitList(values.rooms);
  if (!rooms.length) r.fail("rooms", "At least one room: #alias:server or !id:server.");
  const bad = rooms.find((room) => !/^[#!@][^:\s]+:[^\s]+$/.test(room));
  if (bad) r.fail("rooms", `“${bad}” is not a room: write #alias:server or !id:server.`);
  return r.done(() => {
    const s = server as Server;
    return `${s.secure ? "matrixs" : "matrix"}://${auth}${hostPort(s)}/${rooms.map(enc).join("/")}`;
  });
}

export function ntfyUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const server = parseServer(r.need("server"));
  if (r.get("server") && (!server || server.path)) r.fail("server", "The server's address, e.g. https://ntfy.sh or ntfy.example.com:8080 (no path).");
  const topics = splitList(values.topic);
  if (!topics.length) r.fail("topic", REQUIRED);
  const bad = topics.find((t) => !/^[A-Za-z0-9_-]{1,64}$/.test(t));
  if (bad) r.fail("topic", `“${bad}”: a topic is letters, digits, - and _ (up to 64).`);
  let auth = "";
  if (r.get("auth") === "token") {
    const token = r.need("token");
    if (token && !token.startsWith("tk_")) r.fail("token", "An access token starts with tk_.");
    auth = `${enc(token)}@`;
  } else if (r.get("auth") === "password") {
    auth = `${enc(r.need("user"))}:${enc(r.need("password"))}@`;
  }
  return r.done(() => {
    const s = server as Server;
    return `${s.secure ? "ntfys" : "ntfy"}://${auth}${hostPort(s)}/${topics.map(enc).join("/")}${query({ priority: r.get("priority") })}`;
  });
}

export function gotifyUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const server = parseServer(r.need("server"));
  if (r.get("server") && !server) r.fail("server", "The server's address, e.g. https://gotify.example.com (a path is fine).");
  const token = r.need("token");
  if (token && !/^[A-Za-z0-9_.-]+$/.test(token)) r.fail("token", "An application token is letters, digits, '.', '-' and '_'.");
  return r.done(() => {
    const s = server as Server;
    const path = s.path.split("/").filter(Boolean).map(enc).join("/");
    return `${s.secure ? "gotifys" : "gotify"}://${hostPort(s)}/${path ? `${path}/` : ""}${token}${query({ priority: r.get("priority") })}`;
  });
}

export function pushoverUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const user = r.need("user");
  const token = r.need("token");
  const key = /^[A-Za-z0-9]{30}$/;
  if (user && !key.test(user)) r.fail("user", "A user key is 30 letters and digits.");
  if (token && !key.test(token)) r.fail("token", "An API token is 30 letters and digits.");
  const devices = splitList(values.devices);
  const bad = devices.find((d) => !/^[A-Za-z0-9_-]{1,25}$/.test(d));
  if (bad) r.fail("devices", `“${bad}” is not a device name (letters, digits, - and _).`);
  return r.done(() => `pover://${user}@${token}${devices.length ? `/${devices.join("/")}` : ""}${query({ priority: r.get("priority") })}`);
}

export function pagerdutyUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const integration = r.need("integration");
  const apikey = r.need("apikey");
  const source = r.get("source");
  const component = r.get("component");
  if (component && !source) r.fail("source", "Give a source along with the component.");
  const path = [source, component].filter(Boolean).map(enc).join("/");
  const region = r.get("region") === "eu" ? "eu" : "";
  return r.done(() => `pagerduty://${enc(integration)}@${enc(apikey)}${path ? `/${path}` : ""}${query({ region })}`);
}

export function opsgenieUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const apikey = r.need("apikey");
  const targets = splitList(values.targets);
  const bad = targets.find((t) => !/^[@#*^].+$/.test(t));
  if (bad) r.fail("targets", `“${bad}”: start a user with @, a team with #, a schedule with * and an escalation with ^.`);
  const region = r.get("region") === "eu" ? "eu" : "";
  return r.done(() => `opsgenie://${enc(apikey)}${targets.length ? `/${targets.map(enc).join("/")}` : ""}${query({ region, priority: r.get("priority") })}`);
}

/** Any Apprise URL, as typed: the server checks that it parses and refuses local schemes. */
export function otherUrl(values: AppriseValues): BuildResult {
  const r = reader(values);
  const url = r.need("url");
  if (url && !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(url)) r.fail("url", "An Apprise URL looks like scheme://…, e.g. mmost://host/token.");
  return r.done(() => url);
}

const SECURE_HINT = "https:// (the default) or http://; host[:port].";
const AUTH_MODES = (token: string) => [
  { value: "token", label: token },
  { value: "password", label: "User and password" },
];

/** The services with a form, in the picker's order; "Other" takes any Apprise URL. */
export const APPRISE_SERVICES: AppriseService[] = [
  {
    key: "slack",
    label: "Slack",
    help: "An incoming webhook (Slack app › Incoming Webhooks), or a bot's OAuth token with the channels it posts to.",
    build: slackUrl,
    fields: [
      { key: "mode", label: "Connect with", type: "select", initial: "webhook", options: [{ value: "webhook", label: "Incoming webhook" }, { value: "bot", label: "Bot token" }] },
      { key: "webhook", label: "Webhook URL", placeholder: "https://hooks.slack.com/services/T…/B…/…", when: (v) => v.mode !== "bot" },
      { key: "token", label: "Bot token", placeholder: "xoxb-…", when: (v) => v.mode === "bot" },
      { key: "channels", label: "Channels", placeholder: "#alerts, @oncall", hint: "Comma-separated. Optional with a webhook (it has its own channel)." },
      { key: "botname", label: "Bot name (optional)", placeholder: "OnlineTracker" },
    ],
  },
  {
    key: "discord",
    label: "Discord",
    help: "Channel settings › Integrations › Webhooks › New webhook › Copy webhook URL.",
    build: discordUrl,
    fields: [
      { key: "webhook", label: "Webhook URL", placeholder: "https://discord.com/api/webhooks/…/…" },
      { key: "botname", label: "Bot name (optional)", placeholder: "OnlineTracker" },
    ],
  },
  {
    key: "teams",
    label: "Microsoft Teams",
    help: "In the channel: … › Workflows › “Post to a channel when a webhook request is received”; copy the URL it shows at the end.",
    build: teamsUrl,
    fields: [{ key: "webhook", label: "Workflow webhook URL", placeholder: "https://…/workflows/…/triggers/manual/paths/invoke?…" }],
  },
  {
    key: "telegram",
    label: "Telegram",
    help: "A bot made with @BotFather (its token), and the chats it posts to (add the bot to them first).",
    build: telegramUrl,
    fields: [
      { key: "token", label: "Bot token", placeholder: "123456789:AAH…" },
      { key: "chats", label: "Chat IDs", placeholder: "-1001234567890, @mychannel", hint: "Comma-separated: a chat id (-100… for groups) or an @channel." },
    ],
  },
  {
    key: "matrix",
    label: "Matrix",
    help: "An account on a homeserver (its access token, or user and password) that is in the rooms.",
    build: matrixUrl,
    fields: [
      { key: "server", label: "Homeserver", placeholder: "matrix.example.org", hint: SECURE_HINT },
      { key: "auth", label: "Sign in with", type: "select", initial: "token", options: AUTH_MODES("Access token") },
      { key: "token", label: "Access token", placeholder: "syt_…", when: (v) => v.auth !== "password" },
      { key: "user", label: "User", placeholder: "alerts-bot", when: (v) => v.auth === "password" },
      { key: "password", label: "Password", type: "password", when: (v) => v.auth === "password" },
      { key: "rooms", label: "Rooms", placeholder: "#ops:example.org", hint: "Comma-separated: #alias:server or !id:server." },
    ],
  },
  {
    key: "ntfy",
    label: "ntfy",
    help: "ntfy.sh or your own ntfy server, and the topic your phones subscribe to.",
    build: ntfyUrl,
    fields: [
      { key: "server", label: "Server", initial: "https://ntfy.sh", hint: SECURE_HINT },
      { key: "topic", label: "Topic", placeholder: "onlinetracker-alerts", hint: "On ntfy.sh anyone who knows the topic can read it: pick one hard to guess." },
      {
        key: "auth",
        label: "Authentication",
        type: "select",
        initial: "none",
        options: [{ value: "none", label: "None" }, ...AUTH_MODES("Access token")],
      },
      { key: "token", label: "Access token", placeholder: "tk_…", when: (v) => v.auth === "token" },
      { key: "user", label: "User", when: (v) => v.auth === "password" },
      { key: "password", label: "Password", type: "password", when: (v) => v.auth === "password" },
      {
        key: "priority",
        label: "Priority",
        type: "select",
        options: [{ value: "", label: "Default" }, ...["min", "low", "high", "max"].map((p) => ({ value: p, label: p[0].toUpperCase() + p.slice(1) }))],
      },
    ],
  },
  {
    key: "gotify",
    label: "Gotify",
    help: "Your Gotify server and an application's token (Apps › Create application).",
    build: gotifyUrl,
    fields: [
      { key: "server", label: "Server", placeholder: "https://gotify.example.com", hint: SECURE_HINT },
      { key: "token", label: "Application token", placeholder: "AbC1dEf2…" },
      {
        key: "priority",
        label: "Priority",
        type: "select",
        options: [{ value: "", label: "Normal (5)" }, { value: "low", label: "Low (0)" }, { value: "moderate", label: "Moderate (3)" }, { value: "high", label: "High (8)" }, { value: "emergency", label: "Emergency (10)" }],
      },
    ],
  },
  {
    key: "pushover",
    label: "Pushover",
    help: "Your user key (pushover.net dashboard) and an application's API token (Create an Application).",
    build: pushoverUrl,
    fields: [
      { key: "user", label: "User key" },
      { key: "token", label: "API token" },
      { key: "devices", label: "Devices (optional)", placeholder: "iphone, desktop", hint: "Comma-separated. Empty: all your devices." },
      {
        key: "priority",
        label: "Priority",
        type: "select",
        options: [{ value: "", label: "Normal" }, { value: "low", label: "Low" }, { value: "moderate", label: "Moderate" }, { value: "high", label: "High" }, { value: "emergency", label: "Emergency (repeats until acknowledged)" }],
      },
    ],
  },
  {
    key: "pagerduty",
    label: "PagerDuty",
    help: "A service's Events API v2 integration key, and an API key (Integrations › API Access Keys).",
    build: pagerdutyUrl,
    fields: [
      { key: "integration", label: "Integration key" },
      { key: "apikey", label: "API key" },
      { key: "source", label: "Source", initial: "OnlineTracker", hint: "Shown as the alert's source." },
      { key: "component", label: "Component (optional)" },
      { key: "region", label: "Region", type: "select", initial: "us", options: [{ value: "us", label: "US" }, { value: "eu", label: "EU" }] },
    ],
  },
  {
    key: "opsgenie",
    label: "Opsgenie",
    help: "An API integration's key (Settings › Integrations › API).",
    build: opsgenieUrl,
    fields: [
      { key: "apikey", label: "API key" },
      { key: "targets", label: "Notify (optional)", placeholder: "@ana@example.com, #dba, *on-call, ^escalation", hint: "@user, #team, *schedule, ^escalation; empty: the integration's own routing." },
      { key: "region", label: "Region", type: "select", initial: "us", options: [{ value: "us", label: "US" }, { value: "eu", label: "EU" }] },
      {
        key: "priority",
        label: "Priority",
        type: "select",
        // Apprise sends "P<n>" for priority=n: P1 is Opsgenie's most urgent.
        options: [{ value: "", label: "P3 (moderate)" }, { value: "1", label: "P1 (critical)" }, { value: "2", label: "P2 (high)" }, { value: "4", label: "P4 (low)" }, { value: "5", label: "P5 (informational)" }],
      },
    ],
  },
  {
    key: "other",
    label: "Other (Apprise URL)",
    help: "Any of Apprise's 100+ services, by its URL (see github.com/caronc/apprise/wiki).",
    build: otherUrl,
    fields: [{ key: "url", label: "Apprise URL", placeholder: "mmost://mattermost.example.com/token" }],
  },
];

export function appriseService(key: string): AppriseService {
  return APPRISE_SERVICES.find((s) => s.key === key) ?? (APPRISE_SERVICES[APPRISE_SERVICES.length - 1] as AppriseService);
}

/** The fields a service's form shows for these values (a mode hides the others'). */
export function shownFields(service: AppriseService, values: AppriseValues): ServiceField[] {
  return service.fields.filter((f) => !f.when || f.when(values));
}

/** A new form's values: each field's initial value. */
export function initialValues(service: AppriseService): AppriseValues {
  return Object.fromEntries(service.fields.map((f) => [f.key, f.initial ?? ""]));
}

/** The URL from a service's form; the messages only of the fields shown. */
export function buildAppriseUrl(key: AppriseServiceKey, values: AppriseValues): BuildResult {
  const service = appriseService(key);
  const shown = Object.fromEntries(shownFields(service, values).map((f) => [f.key, values[f.key] ?? ""]));
  return service.build(shown);
}

const SCHEME_SERVICE: Record<string, AppriseServiceKey> = {
  slack: "slack",
  discord: "discord",
  workflow: "teams",
  workflows: "teams",
  tgram: "telegram",
  matrix: "matrix",
  matrixs: "matrix",
  ntfy: "ntfy",
  ntfys: "ntfy",
  gotify: "gotify",
  gotifys: "gotify",
  pover: "pushover",
  pagerduty: "pagerduty",
  opsgenie: "opsgenie",
};

/** Which form an Apprise URL came from, by its scheme ("other" for the rest). */
export function serviceOfUrl(url: string): AppriseServiceKey {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url.trim())?.[1]?.toLowerCase() ?? "";
  return SCHEME_SERVICE[scheme] ?? "other";
}
