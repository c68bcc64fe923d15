import { describe, expect, it } from "vitest";
import {
  APPRISE_SERVICES,
  buildAppriseUrl,
  initialValues,
  parseServer,
  serviceOfUrl,
  shownFields,
  splitList,
} from "../src/lib/apprise";
import type { AppriseServiceKey, AppriseValues } from "../src/lib/apprise";

const SLACK_HOOK = "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ";
const TEAMS_HOOK =
  "https://prod-22.westus.logic.azure.com:443/workflows/abcdef0123456789/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Sig_-123abc";
const TEAMS_PA_HOOK =
  "https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/0a1b2c3d/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=XyZ_9-8";
const PUSHOVER_USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG";
const PUSHOVER_TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi";

// Each URL here was checked against Apprise 1.13 itself (Apprise.instantiate parses it into the
// intended tokens, targets and options).
const built: [string, AppriseServiceKey, AppriseValues, string][] = [
  ["Slack webhook", "slack", { mode: "webhook", webhook: SLACK_HOOK }, "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"],
  ["Slack webhook with bot name and channel", "slack", { mode: "webhook", webhook: `${SLACK_HOOK}/`, botname: "Online Tracker", channels: "#alerts" }, "slack://Online%20Tracker@T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/%23alerts"],
  ["Slack bot, two channels", "slack", { mode: "bot", token: "xoxb-1234-1234-4ddbc191d40ee098", channels: "#general, @oncall" }, "slack://xoxb-1234-1234-4ddbc191d40ee098/%23general/%40oncall"],
  ["Discord", "discord", { webhook: "https://discord.com/api/webhooks/1234567890/abcDEF-ghi_jkl" }, "discord://1234567890/abcDEF-ghi_jkl"],
  ["Discord (discordapp.com) with a bot name", "discord", { webhook: "https://discordapp.com/api/webhooks/1234567890/abc", botname: "Tracker" }, "discord://Tracker@1234567890/abc"],
  ["Teams workflow", "teams", { webhook: TEAMS_HOOK }, "workflows://prod-22.westus.logic.azure.com:443/abcdef0123456789/Sig_-123abc/?ver=2016-06-01"],
  ["Teams Power Automate", "teams", { webhook: TEAMS_PA_HOOK }, "workflows://default1234.56.environment.api.powerplatform.com:443/0a1b2c3d/XyZ_9-8/?pa=yes&ver=1"],
  ["Telegram", "telegram", { token: "123456789:ABCdefGhIJKlmnOPQ_rstUVwxyz", chats: "-1001234567890 @mychannel" }, "tgram://123456789:ABCdefGhIJKlmnOPQ_rstUVwxyz/-1001234567890/%40mychannel"],
  ["Matrix, token", "matrix", { server: "matrix.example.org", auth: "token", token: "syt_abc123", rooms: "#ops:example.org, !AbC:example.org" }, "matrixs://syt_abc123@matrix.example.org/%23ops%3Aexample.org/%21AbC%3Aexample.org"],
  ["Matrix, password over http with a port", "matrix", { server: "http://10.0.0.5:8008", auth: "password", user: "bot", password: "s3cr/t@x", rooms: "#ops:example.org" }, "matrix://bot:s3cr%2Ft%40x@10.0.0.5:8008/%23ops%3Aexample.org"],
  ["ntfy.sh", "ntfy", { server: "https://ntfy.sh", topic: "alerts", auth: "none" }, "ntfys://ntfy.sh/alerts"],
  ["ntfy, own server, token, priority", "ntfy", { server: "ntfy.example.com:8443", topic: "ops", auth: "token", token: "tk_abcdef", priority: "high" }, "ntfys://tk_abcdef@ntfy.example.com:8443/ops?priority=high"],
  ["ntfy, http, user and password", "ntfy", { server: "http://127.0.0.1:8080", topic: "ops", auth: "password", user: "bob", password: "pa@ss" }, "ntfy://bob:pa%40ss@127.0.0.1:8080/ops"],
  ["Gotify", "gotify", { server: "https://gotify.example.com", token: "AbCdEf123" }, "gotifys://gotify.example.com/AbCdEf123"],
  ["Gotify under a path, priority", "gotify", { server: "https://example.com/gotify/", token: "AbCdEf123", priority: "high" }, "gotifys://example.com/gotify/AbCdEf123?priority=high"],
  ["Gotify, http with a port", "gotify", { server: "http://127.0.0.1:8080", token: "AbCdEf123" }, "gotify://127.0.0.1:8080/AbCdEf123"],
  ["Pushover", "pushover", { user: PUSHOVER_USER, token: PUSHOVER_TOKEN }, `pover://${PUSHOVER_USER}@${PUSHOVER_TOKEN}`],
  ["Pushover, device and priority", "pushover", { user: PUSHOVER_USER, token: PUSHOVER_TOKEN, devices: "iphone", priority: "high" }, `pover://${PUSHOVER_USER}@${PUSHOVER_TOKEN}/iphone?priority=high`],
  ["PagerDuty", "pagerduty", { integration: "R0123456789abcdef", apikey: "u+abcdEFGH1234", source: "", region: "us" }, "pagerduty://R0123456789abcdef@u%2BabcdEFGH1234"],
  ["PagerDuty EU with source and component", "pagerduty", { integration: "R01", apikey: "key", source: "OnlineTracker", component: "monitors", region: "eu" }, "pagerduty://R01@key/OnlineTracker/monitors?region=eu"],
  ["Opsgenie", "opsgenie", { apikey: "01234567-89ab-cdef-0123-456789abcdef", region: "us" }, "opsgenie://01234567-89ab-cdef-0123-456789abcdef"],
  ["Opsgenie EU, targets, P1", "opsgenie", { apikey: "k", targets: "@ops@example.com #dba *oncall", region: "eu", priority: "1" }, "opsgenie://k/%40ops%40example.com/%23dba/%2Aoncall?region=eu&priority=1"],
  ["Other: as typed", "other", { url: " mmost://mattermost.example.com/abc123 " }, "mmost://mattermost.example.com/abc123"],
];

const refused: [string, AppriseServiceKey, AppriseValues, Record<string, RegExp>][] = [
  ["Slack: nothing", "slack", { mode: "webhook" }, { webhook: /Required/ }],
  ["Slack: not a webhook URL", "slack", { mode: "webhook", webhook: "https://example.com/hook" }, { webhook: /hooks\.slack\.com/ }],
  ["Slack bot: no channel, bad token", "slack", { mode: "bot", token: "abc" }, { token: /xoxb-/, channels: /at least one channel/ }],
  ["Discord: another site", "discord", { webhook: "https://evil.example/api/webhooks/1/x" }, { webhook: /discord\.com/ }],
  ["Teams: no signature", "teams", { webhook: "https://prod-22.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=1" }, { webhook: /sig=/ }],
  ["Telegram: bad token, bad chat", "telegram", { token: "nope", chats: "mychannel" }, { token: /BotFather/, chats: /neither/ }],
  ["Matrix: room without server", "matrix", { server: "matrix.example.org", auth: "token", token: "t", rooms: "#ops" }, { rooms: /not a room/ }],
  ["Matrix: password mode needs both", "matrix", { server: "x.org", auth: "password", rooms: "#a:x.org" }, { user: /Required/, password: /Required/ }],
  ["ntfy: path and bad topic", "ntfy", { server: "https://ntfy.example.com/sub", topic: "a/b", auth: "none" }, { server: /no path/, topic: /letters, digits/ }],
  ["ntfy: a token that isn't one", "ntfy", { server: "ntfy.sh", topic: "a", auth: "token", token: "abc" }, { token: /tk_/ }],
  ["Gotify: ftp server", "gotify", { server: "ftp://x.org", token: "a" }, { server: /address/ }],
  ["Pushover: short keys", "pushover", { user: "abc", token: "def" }, { user: /30/, token: /30/ }],
  ["PagerDuty: component without source", "pagerduty", { integration: "a", apikey: "b", component: "c" }, { source: /source/ }],
  ["Opsgenie: a target without its sign", "opsgenie", { apikey: "k", targets: "dba" }, { targets: /start a user with @/ }],
  ["Other: not a URL", "other", { url: "hello" }, { url: /scheme:\/\// }],
];

describe("Apprise URL builders", () => {
  it.each(built)("%s", (_name, service, values, url) => {
    expect(buildAppriseUrl(service, values)).toEqual({ ok: true, url });
  });

  it.each(refused)("refuses %s", (_name, service, values, messages) => {
    const result = buildAppriseUrl(service, values);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(Object.keys(messages).sort());
    for (const [key, pattern] of Object.entries(messages)) expect(result.errors[key]).toMatch(pattern);
  });

  it("uses only the fields the mode shows", () => {
    const slack = APPRISE_SERVICES.find((s) => s.key === "slack")!;
    const bot = { ...initialValues(slack), mode: "bot", webhook: "left from the other mode", token: "xoxb-1-2", channels: "#a" };
    expect(shownFields(slack, bot).map((f) => f.key)).toEqual(["mode", "token", "channels", "botname"]);
    expect(buildAppriseUrl("slack", bot)).toEqual({ ok: true, url: "slack://xoxb-1-2/%23a" });
  });

  it("every service has a form: a label per field and initial values for its selects", () => {
    expect(APPRISE_SERVICES.map((s) => s.label)).toEqual([
      "Slack", "Discord", "Microsoft Teams", "Telegram", "Matrix", "ntfy", "Gotify", "Pushover", "PagerDuty", "Opsgenie", "Other (Apprise URL)",
    ]);
    for (const service of APPRISE_SERVICES) {
      const values = initialValues(service);
      for (const field of service.fields.filter((f) => f.type === "select")) {
        expect(field.options?.map((o) => o.value)).toContain(values[field.key]);
      }
    }
    expect(initialValues(APPRISE_SERVICES.find((s) => s.key === "ntfy")!).server).toBe("https://ntfy.sh");
  });

  it.each([
    ["slack://****/****/****", "slack"],
    ["workflow://host/****/****", "teams"],
    ["workflows://host/a/b", "teams"],
    ["tgram://****/-100", "telegram"],
    ["MATRIXS://x", "matrix"],
    ["ntfys://ntfy.sh/a", "ntfy"],
    ["gotify://h/t", "gotify"],
    ["pover://u@t", "pushover"],
    ["pagerduty://a@b", "pagerduty"],
    ["opsgenie://k", "opsgenie"],
    ["json://127.0.0.1:8080/", "other"],
    ["not a url", "other"],
  ])("serviceOfUrl(%s) = %s", (url, key) => {
    expect(serviceOfUrl(url)).toBe(key);
  });

  it.each([
    ["ntfy.sh", { secure: true, host: "ntfy.sh", port: "", path: "" }],
    ["http://127.0.0.1:8080/", { secure: false, host: "127.0.0.1", port: "8080", path: "" }],
    ["https://example.com:8443/gotify/", { secure: true, host: "example.com", port: "8443", path: "/gotify" }],
    ["http://[::1]:9000", { secure: false, host: "[::1]", port: "9000", path: "" }],
  ])("parseServer(%s)", (text, server) => {
    expect(parseServer(text)).toEqual(server);
  });

  it.each(["", "ftp://x.org", "https://user:pw@x.org", "https://x.org/?a=1", "http://"])("parseServer refuses %j", (text) => {
    expect(parseServer(text)).toBeNull();
  });

  it("splits lists on commas and spaces", () => {
    expect(splitList(" a, b  c,,d ")).toEqual(["a", "b", "c", "d"]);
    expect(splitList(undefined)).toEqual([]);
  });
});
