// The chat page: a client of chat/1 over a WebSocket (subprotocol chat.v1),
// one protocol line per message. Every piece of text from the server is
// inserted with textContent, never as HTML; the page's policy forbids
// inline script.
//
// The page follows the protocol through one table of server-line kinds
// (LINES below, with DONE, CONTROLS and LISTS for the words of OK, CTL and
// END); a test checks these tables against the protocol's list of tags,
// so a line the page has no place for fails the build.
"use strict";

const $ = (id) => document.getElementById(id);

/** The room everyone is in from login to logout. */
const LOBBY = "lobby";
/** Lines asked for at a time when loading earlier lines. */
const PAGE_LINES = 50;
/** The most lines one conversation keeps on the page. */
const MAX_LINES = 2000;
/** How often the lobby's people are asked for again: going busy or free
 * is not announced to others. */
const MEMBERS_EVERY_MS = 15000;
/** Lines the same person said with the same text this close together are
 * one line (a line seen live and again in history). */
const SAME_LINE_MS = 10000;
/** The longest wait between two reconnect attempts. */
const MAX_RETRY_MS = 8000;

const state = {
  ws: null,
  creds: null,          // { name, password, register }
  switching: null,      // { name, password } of a /login typed while in
  serverName: "chat",
  me: null,             // our name as registered
  grant: 1,             // 0 admin, 1 user
  busy: false,
  loggedIn: false,
  everIn: false,        // logged in before on this page: a new WELCOME is a reconnect
  reconnect: false,     // connect again when the socket closes
  retry: 500,
  retryTimer: null,
  views: new Map(),     // key ("#room", "@user") -> view
  current: null,
  online: new Map(),    // lower name -> { name, grant, presence } (the lobby's people)
  onlineTotal: 0,
  tags: {},             // the tags of the line being read (`id`)
  rooms: new Map(),     // lower name -> { name, members, operator, topic } from /rooms
  requests: [],         // requests sent and not yet fenced by their PONG
  nextToken: 1,
  waiting: [],          // lines held while the password dialog runs
  change: null,         // the password change in progress
  membersTimer: null,
  sent: [],             // input history (never a password)
  sentAt: -1,
  draft: "",
};

// ------------------------------------------------------------------ helpers

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(text, onClick, cls, label) {
  const b = el("button", cls, text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

/** Splits a line into its first `n` space-separated fields and the rest. */
function fields(line, n) {
  const out = [];
  let rest = line;
  for (let i = 0; i < n; i++) {
    const sp = rest.indexOf(" ");
    if (sp < 0) { out.push(rest); rest = ""; continue; }
    out.push(rest.slice(0, sp));
    rest = rest.slice(sp + 1);
  }
  out.push(rest);
  return out;
}

const lower = (s) => s.toLowerCase();

/** The handler for `word` in one of the protocol tables, if it has one. */
function own(table, word) {
  return Object.prototype.hasOwnProperty.call(table, word) ? table[word] : null;
}

/** Server text for people as a sentence: a capital first, a stop last. */
function sentence(text) {
  let t = text.trim().replace(/; retry in (\d+) s$/, (_, n) => ". Try again in " + n + (n === "1" ? " second" : " seconds"));
  if (!t) return "";
  // "bob is not online": a name keeps its case.
  const [first] = fields(t, 0);
  const named = / is /.test(t) && fields(t, 1)[1].startsWith("is ") && !COMMON.has(first);
  if (!named) t = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(t) ? t : t + ".";
}

/** Words that start the server's sentences and are not names. */
const COMMON = new Set(["the", "this", "that", "it", "there", "you", "a", "no"]);

function pad(n) { return String(n).padStart(2, "0"); }

/** `<time>` for a Unix-milliseconds stamp: 14:05, or with its day when
 * that was not today. */
function clock(ts) {
  const d = new Date(Number(ts));
  const t = el("time");
  t.dateTime = d.toISOString();
  const hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
  const today = new Date();
  t.textContent = d.toDateString() === today.toDateString()
    ? hm
    : d.toLocaleDateString(undefined, { day: "numeric", month: "short" }) + " " + hm;
  t.title = d.toLocaleString();
  return t;
}

/** `3 minutes` for a number of seconds, in its largest whole unit. */
function duration(secs) {
  const [n, unit] = secs >= 3600 ? [Math.floor(secs / 3600), "hour"]
    : secs >= 60 ? [Math.floor(secs / 60), "minute"] : [secs, "second"];
  return n + " " + unit + (n === 1 ? "" : "s");
}

function mentions(text) {
  if (!state.me) return false;
  const esc = state.me.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp("(^|[^A-Za-z0-9_.-])@?" + esc + "($|[^A-Za-z0-9_-])", "i").test(text);
}

const isAdmin = () => state.grant === 0;
const same = (a, b) => a && b && lower(a) === lower(b);

// -------------------------------------------------------------------- views
// A view is one conversation: the lobby, a room, or private messages with
// one person. Each has its own log, so switching keeps every scroll place.

const viewKey = (kind, name) => (kind === "pm" ? "@" : "#") + lower(name);

function findView(kind, name) { return state.views.get(viewKey(kind, name)) || null; }

function ensureView(kind, name) {
  const key = viewKey(kind, name);
  let v = state.views.get(key);
  if (v) return v;
  v = {
    key, kind, name,
    unread: 0, mentioned: false,
    topic: null,            // { text, by, ts }
    members: new Map(),     // lower name -> name (rooms)
    joined: kind === "pm" || lower(name) === LOBBY,
    operator: null,
    before: null,           // where earlier lines continue, if any remain
    atStart: false,         // every earlier line is shown
    loading: false,
    recent: new Map(),      // "from|text" -> stamps, to show a line once
  };
  const label = title(v);
  v.scroller = el("div", "log-scroll");
  v.scroller.tabIndex = 0;
  v.scroller.setAttribute("aria-label", label + ": messages");
  v.scroller.hidden = true;
  v.older = button("Older lines", () => loadOlder(v), "older");
  v.older.hidden = true;
  v.start = el("p", "log-start", "");
  v.start.hidden = true;
  v.log = el("ol", "log");
  v.log.setAttribute("role", "log");
  v.log.setAttribute("aria-live", "polite");
  v.log.setAttribute("aria-label", label);
  v.scroller.append(v.start, v.older, v.log);
  v.scroller.addEventListener("scroll", () => {
    if (v.scroller.scrollTop < 40) loadOlder(v);
  }, { passive: true });
  $("logs").append(v.scroller);

  v.item = el("li");
  v.navButton = button("", () => { showView(v); closeDrawers(); $("text").focus(); }, "view-button");
  v.navName = el("span", "view-name", kind === "pm" ? name : "#" + name);
  v.badge = el("span", "badge");
  v.badge.hidden = true;
  v.navButton.append(v.navName, v.badge);
  v.item.append(v.navButton);
  const list = kind === "pm" ? $("privates") : $("rooms");
  // The lobby first, then by name.
  const after = [...state.views.values()]
    .filter((o) => o.kind === kind && (lower(o.name) === LOBBY || lower(o.name) < lower(name)) && lower(name) !== LOBBY)
    .map((o) => o.item).pop();
  if (after) after.after(v.item); else list.prepend(v.item);
  state.views.set(key, v);
  $("private-hint").hidden = [...state.views.values()].some((o) => o.kind === "pm");
  return v;
}

function title(v) { return v.kind === "pm" ? v.name : "#" + v.name; }

function removeView(v) {
  state.views.delete(v.key);
  v.scroller.remove();
  v.item.remove();
  $("private-hint").hidden = [...state.views.values()].some((o) => o.kind === "pm");
  if (state.current === v) showView(lobby());
  updateTitle();
}

function lobby() { return ensureView("room", LOBBY); }

function showView(v) {
  const old = state.current;
  if (old && old !== v) {
    old.scroller.hidden = true;
    old.navButton.removeAttribute("aria-current");
  }
  state.current = v;
  v.scroller.hidden = false;
  v.navButton.setAttribute("aria-current", "page");
  v.unread = 0;
  v.mentioned = false;
  updateBadge(v);
  renderHead();
  renderMembers();
  $("text").placeholder = v.kind === "pm"
    ? "Message " + v.name + " privately, or /command"
    : "Message #" + v.name + ", or /command";
  $("text-label").textContent = v.kind === "pm" ? "Private message to " + v.name : "Message to #" + v.name;
  if (old !== v) scrollToEnd(v);
  updateTitle();
  if (v.kind === "pm" && !v.loaded) loadHistory(v);
}

function stepView(by) {
  const order = [...$("rooms").children, ...$("privates").children];
  const views = order.map((li) => [...state.views.values()].find((v) => v.item === li)).filter(Boolean);
  const at = views.indexOf(state.current);
  const next = views[(at + by + views.length) % views.length];
  if (next) showView(next);
}

function updateBadge(v) {
  v.badge.hidden = v.unread === 0;
  v.badge.textContent = String(v.unread);
  v.badge.classList.toggle("mention", v.mentioned);
  v.navButton.setAttribute("aria-label", title(v) + (v.unread ? ", " + v.unread + " unread" + (v.mentioned ? ", you were mentioned" : "") : ""));
  v.item.classList.toggle("closed", !v.joined);
  const total = [...state.views.values()].reduce((n, o) => n + o.unread, 0);
  const mentioned = [...state.views.values()].some((o) => o.mentioned);
  $("nav-badge").hidden = total === 0;
  $("nav-badge").textContent = String(total);
  $("nav-badge").classList.toggle("mention", mentioned);
  updateTitle();
}

function updateTitle() {
  const total = [...state.views.values()].reduce((n, o) => n + o.unread, 0);
  const where = state.current && state.loggedIn ? title(state.current) + " · " : "";
  document.title = (total ? "(" + total + ") " : "") + where + state.serverName;
}

/** The head of the conversation: its name, topic and actions. */
function renderHead() {
  const v = state.current;
  if (!v) return;
  $("view-title").textContent = v.kind === "pm" ? "Private: " + v.name : "#" + v.name;
  const room = v.kind === "room" && lower(v.name) !== LOBBY;
  const t = $("topic");
  if (v.kind === "pm") {
    const who = state.online.get(lower(v.name));
    t.textContent = who ? v.name + " is online" + (who.presence.startsWith("busy") || who.presence === "guest-busy" ? " and busy." : ".") : v.name + " is not online now.";
  } else if (lower(v.name) === LOBBY) {
    t.textContent = "Everyone is here.";
  } else if (!v.joined) {
    t.textContent = "You are not in this room.";
  } else if (v.topic && v.topic.text) {
    t.replaceChildren(el("span", "topic-text", v.topic.text), el("span", "topic-by", " — set by " + v.topic.by));
  } else {
    t.textContent = "No topic.";
  }
  // The topic is its operator's (or an admin's) to set.
  const mayRun = isAdmin() || same(v.operator, state.me);
  $("edit-topic").hidden = !(room && v.joined && (mayRun || !v.operator));
  $("part").hidden = !(room && v.joined);
  $("rejoin").hidden = !(room && !v.joined);
  $("close-room").hidden = !(room && v.joined && mayRun);
  $("close-private").hidden = v.kind !== "pm";
  if ($("topic-form").dataset.view !== v.key) $("topic-form").hidden = true;
}

/** Who is in the conversation shown. */
function renderMembers() {
  const v = state.current;
  if (!v) return;
  const ul = $("member-list");
  ul.replaceChildren();
  let people;
  if (v.kind === "room" && lower(v.name) === LOBBY) {
    people = [...state.online.values()];
    $("members-heading").textContent = "Online (" + Math.max(state.onlineTotal, people.length) + ")";
    $("members-more").textContent = state.onlineTotal > people.length
      ? (state.onlineTotal - people.length) + " more not shown." : "";
  } else if (v.kind === "room") {
    people = [...v.members.values()].map((name) => state.online.get(lower(name)) || { name, grant: "1", presence: "free" });
    const info = state.rooms.get(lower(v.name));
    const count = Math.max(people.length, info ? info.members : 0);
    $("members-heading").textContent = "In #" + v.name + " (" + count + ")";
    $("members-more").textContent = !v.joined ? "You are not in this room."
      : count > people.length ? (count - people.length) + " more, who have not spoken since you came." : "";
  } else {
    people = [state.me, v.name].map((name) => state.online.get(lower(name)) || { name, grant: "1", presence: "away" });
    $("members-heading").textContent = "In this conversation";
    $("members-more").textContent = "";
  }
  people.sort((a, b) => lower(a.name) < lower(b.name) ? -1 : 1);
  for (const u of people) ul.append(memberItem(v, u));
}

function memberItem(v, u) {
  const li = el("li", "member");
  li.dataset.name = u.name;
  const me = same(u.name, state.me);
  const name = me
    ? el("span", "name", u.name + " (you)")
    : button(u.name, () => { openPrivate(u.name); closeDrawers(); $("text").focus(); }, "name", "Talk privately with " + u.name);
  li.append(name);
  if (u.grant === "0") li.append(tag("admin", "admin"));
  if (v.kind === "room" && same(v.operator, u.name) && lower(v.name) !== LOBBY) li.append(tag("operator", "operator"));
  if (u.presence === "busy" || u.presence === "guest-busy") li.append(tag("busy", "busy"));
  if (u.presence === "guest" || u.presence === "guest-busy") li.append(tag("guest", "guest"));
  if (u.presence === "away") li.append(tag("away", "offline"));
  if (!me && v.kind === "room" && u.presence !== "away") {
    const actions = el("span", "actions");
    if (lower(v.name) === LOBBY && isAdmin()) {
      actions.append(button("kick", () => request("/kickuser " + u.name), "small", "Kick " + u.name));
      actions.append(u.grant === "0"
        ? button("make user", () => request("/changegrant " + u.name + " 1"), "small", "Make " + u.name + " a user")
        : button("make admin", () => request("/changegrant " + u.name + " 0"), "small", "Make " + u.name + " an admin"));
    }
    if (lower(v.name) !== LOBBY && (isAdmin() || same(v.operator, state.me))) {
      actions.append(button("remove", () => request("/remove " + v.name + " " + u.name), "small", "Remove " + u.name + " from #" + v.name));
    }
    if (actions.childElementCount) li.append(actions);
  }
  return li;
}

function tag(cls, text) { return el("span", "tag " + cls, text); }

function openPrivate(name) {
  if (same(name, state.me)) return;
  showView(ensureView("pm", name));
}

// -------------------------------------------------------------------- lines

/** Whether `v` already shows `from` saying `text` at about `ts`; if not,
 * remembers it. */
function seen(v, from, text, ts) {
  if (state.tags.id) {
    // By its id: once, however many lines share a millisecond.
    const id = "id=" + state.tags.id;
    if (v.recent.has(id)) return true;
    v.recent.set(id, [ts]);
  }
  const key = lower(from) + "|" + text;
  const stamps = v.recent.get(key) || [];
  if (stamps.some((t) => Math.abs(t - ts) < SAME_LINE_MS)) return true;
  stamps.push(ts);
  v.recent.set(key, stamps);
  return false;
}

function atBottom(v) {
  const s = v.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 40;
}

function scrollToEnd(v) { v.scroller.scrollTop = v.scroller.scrollHeight; }

/** Puts a line in its place by time: live lines at the end, earlier ones
 * above, keeping what the reader sees where it is. */
function place(v, li, ts) {
  li.dataset.ts = String(ts);
  const log = v.log;
  let after = log.lastElementChild;
  while (after && Number(after.dataset.ts) > ts) after = after.previousElementSibling;
  const bottom = atBottom(v);
  const fromBottom = v.scroller.scrollHeight - v.scroller.scrollTop;
  if (after) after.after(li); else log.prepend(li);
  if (li === log.lastElementChild) {
    if (bottom) scrollToEnd(v);
  } else {
    v.scroller.scrollTop = v.scroller.scrollHeight - fromBottom;
  }
  while (log.childElementCount > MAX_LINES) {
    const first = log.firstElementChild;
    first.remove();
    v.before = log.firstElementChild.dataset.id
      ? "id=" + log.firstElementChild.dataset.id
      : log.firstElementChild.dataset.ts;
    v.atStart = false;
  }
  renderStart(v);
}

/** A message: `kind` msg (room), pm-in or pm-out; `live` when it is said
 * now rather than replayed. Returns the line, or null when it is shown
 * already. */
function message(v, kind, ts, from, text, live) {
  ts = Number(ts);
  if (seen(v, from, text, ts)) return null;
  const li = el("li", "line " + kind + (live ? "" : " earlier"));
  if (state.tags.id) li.dataset.id = state.tags.id;
  li.append(clock(ts));
  const mine = same(from, state.me);
  const who = el("span", "from", from);
  if (kind === "pm-out" || kind === "pm-in") {
    who.prepend(el("span", "visually-hidden", kind === "pm-out" ? "you, privately: " : "privately: "));
  }
  li.append(who, el("span", "text", text));
  if (mine) li.classList.add("mine");
  if (!mine && mentions(text)) li.classList.add("mention");
  place(v, li, ts);
  if (live && !mine) bump(v, li.classList.contains("mention") || kind === "pm-in");
  return li;
}

/** Something happened (a join, a topic, a reply): one sentence. */
function note(v, text, kind, ts) {
  const li = el("li", "line " + (kind || "info"));
  li.append(clock(ts || Date.now()), el("span", "text", text));
  place(v, li, ts || Date.now());
  return li;
}

function error(v, text) { return note(v || state.current || lobby(), text, "err"); }

/** A new line in a conversation not shown: counted as unread. */
function bump(v, important) {
  if (v === state.current && !document.hidden) return;
  v.unread += 1;
  if (important) v.mentioned = true;
  updateBadge(v);
}

function renderStart(v) {
  v.older.hidden = v.atStart || v.before === null;
  v.start.hidden = !v.atStart;
  v.start.textContent = v.kind === "pm"
    ? "The start of your conversation with " + v.name + "."
    : "The start of #" + v.name + ".";
}

/** The earlier lines of a conversation, as they fit before the oldest
 * shown; from scrolling to the top or the "Older lines" button. */
function loadOlder(v) {
  if (v.loading || v.atStart || v.before === null || !v.joined) return;
  if (v.failedAt && Date.now() - v.failedAt < 5000) return;
  v.loading = true;
  request("/history " + target(v) + " " + PAGE_LINES + " before " + v.before, { mode: "load", view: v, older: true });
}

/** The last lines of a conversation, merged with what is shown. */
function loadHistory(v) {
  v.loaded = true;
  v.loading = true;
  request("/history " + target(v) + " " + PAGE_LINES, { mode: "load", view: v });
}

const target = (v) => (v.kind === "pm" ? "@" : "") + v.name;

// ------------------------------------------------------------------- tables

/** A listing as a table in the conversation where it was asked for. On a
 * narrow screen each row stacks its cells, each under its heading. */
function table(v, caption, heads, rows, footer) {
  const li = el("li", "line listing");
  const t = el("table");
  t.append(el("caption", null, caption));
  const thead = el("thead");
  const hr = el("tr");
  for (const h of heads) hr.append(el("th", null, h));
  thead.append(hr);
  const tbody = el("tbody");
  for (const r of rows) {
    const tr = el("tr");
    r.forEach((cell, i) => {
      const td = el("td");
      td.dataset.label = heads[i];
      if (cell instanceof Node) td.append(cell); else td.textContent = cell;
      tr.append(td);
    });
    tbody.append(tr);
  }
  t.append(thead, tbody);
  li.append(t);
  if (footer) li.append(footer);
  place(v, li, Date.now());
  if (v === state.current) scrollToEnd(v);
  return li;
}

/** The footer of a page of a listing: how many, and a button for more. */
function pageFooter(shown, total, next, what, ask) {
  const p = el("p", "listing-foot");
  if (Number(total) === 0) {
    p.textContent = "None.";
  } else if (next) {
    p.append(shown + " of " + total + " " + what + " shown. ");
    p.append(button("Next page", () => request(ask + " " + next), "small"));
  } else {
    p.textContent = total + " " + what + ".";
  }
  return p;
}

// ---------------------------------------------------------------- requests
// Every command the page sends is followed by `/ping <token>`: the server
// answers lines in order, so everything up to that PONG answers the
// command (rows of a listing, an ERR), and the page knows where each
// answer belongs. Lines said by others meanwhile name their own place.

function raw(line) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(line);
}

/** Sends a command; `info.mode` says what its answer is for. */
function request(line, info) {
  info = info || {};
  if (state.change && !state.change.done) {
    // The server takes every line as the next password answer.
    state.waiting.push([line, info]);
    return null;
  }
  const token = "p" + state.nextToken++;
  const req = Object.assign({ token, line, view: state.current || lobby(), mode: "shown", rows: [], sentAt: Date.now() }, info);
  state.requests.push(req);
  raw(line);
  raw("/ping " + token);
  return req;
}

/** The request being answered now. */
function head() { return state.requests[0] || null; }

/** The fence came: the request is answered in full. */
function finish(token) {
  const at = state.requests.findIndex((r) => r.token === token);
  if (at < 0) return false;
  for (const r of state.requests.splice(0, at + 1)) {
    if (r.mode === "load" && r.view) r.view.loading = false;
    if (r.after) r.after(r);
  }
  return true;
}

// ------------------------------------------------------------ the protocol
// One handler per server-line tag. A tag missing here fails the test that
// compares this table with the protocol's; a tag the server adds later is
// ignored by older pages, as the protocol says.

const LINES = {
  HELLO(body) {
    const [protocol, name] = fields(body, 1);
    if (protocol !== "chat/1") {
      showNotice("This server speaks " + protocol + ", which this page does not know.", true);
      return;
    }
    state.serverName = name || "chat";
    $("server").textContent = state.serverName;
    updateTitle();
    // Message ids on lines (tags), so history pages by id and a line seen
    // live and again in history is shown once.
    raw("/tags on");
    const c = state.creds;
    if (c) raw((c.register ? "/register " : "/login ") + c.name + " " + c.password);
  },
  ASK(body) {
    // The page logs in with one line, so a question before login is the
    // dialog it never uses; after login only the password change asks.
    const [step] = fields(body, 1);
    if (state.loggedIn) answerAsk(step);
  },
  OK(body) {
    const [what, rest] = fields(body, 1);
    const h = own(DONE, what);
    if (h) h(rest, head());
    else note(where(), "Done.");
  },
  WELCOME(body) {
    const [name, grant] = fields(body, 1);
    welcome(name, Number(grant));
  },
  ERR(body) {
    const [code, text] = fields(body, 1);
    onError(code, text);
  },
  MSG(body) {
    const [ts, from, text] = fields(body, 2);
    const v = lobby();
    message(v, "msg", ts, from, text, true);
    noteMember(v, from);
  },
  PM(body) {
    const [ts, from, text] = fields(body, 2);
    const v = ensureView("pm", from);
    message(v, "pm-in", ts, from, text, true);
    if (!v.loaded) loadHistory(v);
  },
  JOIN(body) {
    const [ts, user] = fields(body, 1);
    const k = lower(user);
    if (!state.online.has(k)) {
      state.online.set(k, { name: user, grant: "1", presence: "free" });
      state.onlineTotal += 1;
    }
    if (!same(user, state.me)) note(lobby(), user + " joined.", "presence", Number(ts));
    refreshMembers();
  },
  LEAVE(body) {
    const [ts, user, reason] = fields(body, 2);
    if (state.online.delete(lower(user))) state.onlineTotal = Math.max(0, state.onlineTotal - 1);
    note(lobby(), user + " " + (own(LEFT, reason) || "left") + ".", "presence", Number(ts));
    refreshMembers();
  },
  INFO(body) {
    const h = head();
    if (h && h.help) h.rows.push(body);
    else note(where(), sentence(body));
  },
  USER(body) {
    const [name, grant, presence] = fields(body, 2);
    const h = head();
    if (h) h.rows.push({ name, grant, presence });
  },
  WHOIS(body) {
    const [name, grant, presence, since, idle, rooms, away] = fields(body, 6);
    const role = presence.startsWith("guest") ? "a guest" : grant === "0" ? "an admin" : "a user";
    const busy = presence.endsWith("busy");
    const status = busy ? "busy" + (away ? " (“" + away + "”)" : "") : "free";
    const list = rooms === "-" ? [] : rooms.split(",").map((r) =>
      "#" + r.replace(/^@?\+?/, "") + (r.startsWith("@") ? " (operator)" : ""));
    const places = list.length ? "in " + list.join(", ") : "in no room besides the lobby";
    note(where(), name + " is " + role + ", " + status + ", " + places + "; logged in at " +
      clock(since).textContent + (idle === "-" ? "" : ", idle for " + duration(Number(idle))) + ".");
  },
  KICKED(body) {
    const [name, by, ts, reason] = fields(body, 3);
    const h = head();
    if (h) h.rows.push({ name, by, ts, reason });
  },
  END(body) {
    const [list, rest] = fields(body, 1);
    const h = own(LISTS, list);
    if (h) h(rest, head());
  },
  CTL(body) {
    const [what, rest] = fields(body, 1);
    const h = own(CONTROLS, what);
    if (h) h(rest);
  },
  PONG(body) {
    if (finish(body)) return;
    const h = head();
    const ms = h ? Date.now() - h.sentAt : null;
    note(where(), "The server answered your ping" + (body ? " (" + body + ")" : "") + (ms !== null ? " in " + ms + " ms." : "."));
  },
  RMSG(body) {
    const [room, ts, from, text] = fields(body, 3);
    const v = ensureView("room", room);
    v.joined = true;
    message(v, "msg", ts, from, text, true);
    noteMember(v, from);
  },
  RJOIN(body) {
    const [room, ts, user] = fields(body, 2);
    const v = findView("room", room);
    if (!v) return;
    if (!v.members.has(lower(user))) roomCount(room, 1);
    v.members.set(lower(user), user);
    if (!same(user, state.me)) note(v, user + " joined.", "presence", Number(ts));
    if (v === state.current) renderMembers();
  },
  RLEAVE(body) {
    const [room, ts, user, reason] = fields(body, 3);
    const v = findView("room", room);
    if (!v) return;
    v.members.delete(lower(user));
    roomCount(room, -1);
    if (same(user, state.me)) {
      v.joined = false;
      note(v, reason === "closed" ? "The room was closed." : "You are no longer in #" + v.name + ".", "presence", Number(ts));
      updateBadge(v);
      if (v === state.current) renderHead();
    } else {
      note(v, user + " " + (own(LEFT, reason) || "left") + ".", "presence", Number(ts));
    }
    if (v === state.current) renderMembers();
  },
  TOPIC(body) {
    const [room, ts, by, text] = fields(body, 3);
    const v = ensureView("room", room);
    const h = head();
    const before = v.topic;
    v.topic = { text, by, ts: Number(ts) };
    if (h && h.mode === "join") {
      // The topic of a room just joined: in its head, not a line.
    } else if (h && h.line.startsWith("/topic ") && !h.line.slice(7).includes(" ")) {
      note(v, text ? "The topic of #" + v.name + " is “" + text + "”, set by " + by + "." : "#" + v.name + " has no topic.");
    } else if (!before || before.text !== text || before.by !== by) {
      note(v, text ? by + " set the topic: " + text : by + " cleared the topic.", "presence", Number(ts));
    }
    if (v === state.current) renderHead();
  },
  STANDING(body) {
    const [room, ts, by, user, change] = fields(body, 4);
    const v = findView("room", room);
    if (!v) return;
    const what = own(STANDINGS, change) || change;
    const who = same(user, state.me) ? "you" : user;
    note(v, by + " " + what.replace("%s", who) + ".", "presence", Number(ts));
  },
  MODE(body) {
    const [room, ts, by, change] = fields(body, 3);
    const v = findView("room", room);
    if (!v) return;
    note(v, by + " set the room's modes: " + change, "presence", Number(ts));
  },
  MODES(body) {
    const [room, modes] = fields(body, 1);
    note(findView("room", room) || where(), "The modes of #" + room + ": " + modes);
  },
  ROOM(body) {
    const [name, members, operator, topic] = fields(body, 3);
    const room = { name, members: Number(members), operator: operator === "-" ? null : operator, topic };
    state.rooms.set(lower(name), room);
    const v = findView("room", name);
    if (v && room.operator) v.operator = room.operator;
    const h = head();
    if (h) h.rows.push(room);
  },
  CONV(body) {
    const [of, ts] = fields(body, 1);
    const h = head();
    if (h) h.rows.push({ of, ts });
  },
  HIST(body) {
    const [of, ts, from, text] = fields(body, 3);
    const h = head();
    if (h && h.mode === "shown") {
      h.rows.push({ of, ts, from, text });
      return;
    }
    const v = of.startsWith("@") ? ensureView("pm", of.slice(1)) : ensureView("room", of);
    const kind = v.kind === "room" ? "msg" : same(from, state.me) ? "pm-out" : "pm-in";
    message(v, kind, ts, from, text, false);
  },
  // Client-only tags alone (an IRC client's typing, a reaction): the page
  // shows none of them.
  TAGMSG() {},
};

/** What a `STANDING` change says, after who made it (`%s`: the member). */
const STANDINGS = {
  op: "made %s an operator of the room",
  deop: "took %s's operator standing",
  voice: "voiced %s",
  devoice: "took %s's voice",
};

/** What `LEAVE` and `RLEAVE` reasons mean, after the user's name. */
const LEFT = {
  quit: "left",
  kicked: "was kicked by an admin",
  lost: "lost the connection",
  "too-slow": "was dropped for reading too slowly",
  timeout: "timed out",
  shutdown: "left as the server shut down",
  takeover: "logged in somewhere else",
  part: "left the room",
  removed: "was removed from the room",
  closed: "left as the room was closed",
};

/** `OK <what> ...`: the sentence and the change for each. */
const DONE = {
  registered() { state.registered = true; },
  tags() {},
  login() {},
  // The answer to /tags (message ids), which the page does not send.
  tags() {},
  sent(rest, h) {
    const [to] = fields(rest, 0);
    if (h && h.pending) {
      h.pending.classList.remove("pending");
      h.pending.removeAttribute("aria-busy");
      // Its id: the same line in the history later is this one.
      if (state.tags.id && h.view) {
        h.pending.dataset.id = state.tags.id;
        h.view.recent.set("id=" + state.tags.id, [Number(h.pending.dataset.ts)]);
      }
      return;
    }
    // Typed as /msg somewhere else: the line goes to its conversation.
    const v = ensureView("pm", to);
    if (h && h.said !== undefined) message(v, "pm-out", Date.now(), state.me, h.said, true);
    if (state.current !== v) note(where(), "Sent to " + to + " privately.");
  },
  grant(rest) {
    const [user, grant] = fields(rest, 1);
    note(where(), grant === "0" ? user + " is an admin now." : user + " is a user now.");
    const u = state.online.get(lower(user));
    if (u) u.grant = grant;
    renderMembers();
  },
  kicked(rest) {
    note(where(), rest + " was kicked and is on the kick list.");
  },
  unkicked(rest) { note(where(), rest + " is off the kick list and may log in again."); },
  "password-changed"() {
    const c = state.change;
    if (c && state.creds) state.creds.password = c.values.new;
    endChange();
    if (c && c.cancelled) return;
    $("password-form").hidden = true;
    clearPasswordForm();
    note(where(), "Your password was changed.");
    $("text").focus();
  },
  created(room, h) {
    const v = ensureView("room", room);
    v.operator = state.me;
    note(v, "You created #" + room + "; you are its operator.");
    if (h) h.created = true;
  },
  joined(room, h) {
    const v = ensureView("room", room);
    const again = !v.joined && v.log.childElementCount > 0 && !(h && h.rejoin);
    v.joined = true;
    // The topic and the last lines follow, as part of this answer.
    if (h) { h.mode = "join"; h.view = v; }
    updateBadge(v);
    const auto = h && h.switchTo === false;
    if (!auto) { showView(v); $("text").focus(); }
    if (again && !auto && !h.created) note(v, "You joined #" + room + " again.");
    // Its operator and head count, and who is in it.
    request("/rooms", { mode: "quiet" });
    request("/names " + room, { mode: "room-members", view: v });
    if (v === state.current) renderHead();
  },
  parted(room) {
    const v = findView("room", room);
    if (v) removeView(v);
    note(lobby(), "You left #" + room + ".");
  },
  topic(room) {
    const v = findView("room", room);
    if (v) $("topic-form").hidden = true;
    if (v && v === state.current) $("text").focus();
  },
  removed(rest) {
    const [room, user] = fields(rest, 1);
    note(findView("room", room) || where(), user + " was removed from #" + room + ".");
  },
  closed(room) {
    const v = findView("room", room);
    if (v) removeView(v);
    note(lobby(), "#" + room + " is closed; its lines are gone.");
  },
  invited(rest) {
    const [room, user] = fields(rest, 1);
    note(findView("room", room) || where(), "You invited " + user + " to #" + room + ".");
  },
};

/** `CTL <what> ...`: control of this client. */
const CONTROLS = {
  busy() {
    setBusy(true);
    note(where(), "You are busy: lines are held for you until you are free again.");
  },
  free() {
    setBusy(false);
    note(where(), "You are free again; the lines held for you follow.");
  },
  grant(rest) {
    state.grant = Number(rest);
    showMe();
    note(where(), isAdmin() ? "You are an admin now." : "You are a user now.");
    renderMembers();
    renderHead();
  },
  kick(rest) {
    const [by, reason] = fields(rest, 1);
    stopReconnecting();
    showNotice("You were kicked by " + by + (reason ? ": " + reason : ".") + " You cannot log in again until an admin takes you off the kick list.", true);
  },
  disconnect() {
    stopReconnecting();
    showNotice("You left the chat.");
  },
  shutdown() {
    stopReconnecting();
    showNotice("The server is shutting down. Reload the page to try again later.", true);
  },
  restart() {
    state.reconnect = true;
    state.restarting = true;
    state.retry = 300;
    showNotice("The server is restarting: reconnecting…");
  },
  takeover() {
    stopReconnecting();
    showNotice("Your account logged in somewhere else, so this page was logged out.", true);
  },
  removed(rest) {
    const [room, by, reason] = fields(rest, 2);
    const v = findView("room", room);
    if (v) {
      v.joined = false;
      updateBadge(v);
      if (v === state.current) { renderHead(); renderMembers(); }
    }
    note(v || where(), by + " removed you from #" + room + (reason ? ": " + reason : ".") + " You may join it again.", "err");
  },
  invited(rest) {
    const [room, by] = fields(rest, 1);
    note(where(), by + " invited you to #" + room + ": /join " + room + " gets you in.");
  },
};

/** `END <list> ...`: a listing is complete. */
const LISTS = {
  users(rest, h) {
    const [shown, total, next] = fields(rest, 2);
    const rows = h ? h.rows : [];
    if (h && h.mode === "members") {
      state.online = new Map(rows.map((u) => [lower(u.name), u]));
      state.onlineTotal = Number(total) || rows.length;
      renderMembers();
      if (state.current && state.current.kind === "pm") renderHead();
      return;
    }
    if (h && h.mode === "room-members") {
      // Who was in the room when we joined it; joins and leaves follow.
      const v = h.view;
      v.members = new Map(rows.map((u) => [lower(u.name), u.name]));
      if (v === state.current) renderMembers();
      return;
    }
    const v = h ? h.view : where();
    const of = h && h.names;
    table(v, of ? "In #" + of : "Online", ["Name", "Role", "Status", ""], rows.map((u) => [
      u.name,
      u.grant === "0" ? "admin" : "user",
      presenceWord(u.presence),
      same(u.name, state.me) ? "" : button("Message", () => openPrivate(u.name), "small", "Message " + u.name),
    ]), pageFooter(shown || rows.length, total || rows.length, next, of ? "in #" + of : "online", "/viewusers"));
  },
  kicked(rest, h) {
    const [shown, total, next] = fields(rest, 2);
    const rows = h ? h.rows : [];
    const v = h ? h.view : where();
    table(v, "Kick list", ["Name", "Kicked by", "When", "Why", ""], rows.map((k) => [
      k.name, k.by, clock(k.ts), k.reason || "",
      isAdmin() ? button("Unkick", () => request("/unkick " + k.name), "small", "Take " + k.name + " off the kick list") : "",
    ]), pageFooter(shown || rows.length, total || rows.length, next, "on the kick list", "/viewkickusers"));
  },
  help(rest, h) {
    const rows = h ? h.rows : [];
    const v = h ? h.view : where();
    table(v, "Commands", ["Command", "What it does"], rows.map((r) => {
      const [cmd, about] = r.includes(" - ") ? r.split(" - ", 2) : ["", r];
      return [cmd, sentence(about)];
    }));
  },
  held(rest) {
    const [replayed, dropped] = fields(rest, 1);
    note(where(), replayed + " held " + (replayed === "1" ? "line" : "lines") + " replayed" + (Number(dropped) ? "; " + dropped + " older ones were dropped." : "."));
  },
  rooms(rest, h) {
    const [shown, total, next] = fields(rest, 2);
    const rows = h ? h.rows : [];
    if (h && h.mode === "quiet") {
      if (state.current) { renderHead(); renderMembers(); }
      return;
    }
    const v = h ? h.view : where();
    table(v, "Rooms", ["Room", "People", "Operator", "Topic", ""], rows.map((r) => {
      const mine = findView("room", r.name);
      const go = mine && mine.joined
        ? button("Open", () => showView(mine), "small", "Open #" + r.name)
        : button("Join", () => joinRoom(r.name), "small", "Join #" + r.name);
      return ["#" + r.name, String(r.members), r.operator || "—", r.topic || "", go];
    }), pageFooter(shown || rows.length, total || rows.length, next, "rooms", "/rooms"));
  },
  conversations(rest, h) {
    const rows = h ? h.rows : [];
    const v = h ? h.view : where();
    const foot = el("p", "listing-foot");
    foot.textContent = rows.length ? rows.length + " shown, by their latest line." : "No conversations in that range.";
    table(v, "Conversations", ["Where", "Latest line", ""], rows.map((r) => {
      const pm = r.of.startsWith("@");
      const name = pm ? r.of.slice(1) : r.of;
      const go = pm
        ? button("Open", () => openPrivate(name), "small", "Open your conversation with " + name)
        : button("Open", () => { const mine = findView("room", name); if (mine) showView(mine); }, "small", "Open #" + name);
      return [pm ? name : "#" + name, clock(r.ts), go];
    }), foot);
  },
  history(rest, h) {
    const [shown, before] = fields(rest, 1);
    if (h && h.mode === "shown") {
      const of = h.target || "";
      const more = el("p", "listing-foot");
      if (before) {
        more.append(shown + " lines shown. ");
        more.append(button("Earlier lines", () => request("/history " + of + " " + PAGE_LINES + " before " + before, { target: of }), "small"));
      } else {
        more.textContent = Number(shown) ? "No earlier lines." : "No lines.";
      }
      table(h.view, "Earlier lines of " + (of.startsWith("@") ? "your conversation with " + of.slice(1) : "#" + of), ["When", "Who", "Said"],
        h.rows.map((r) => [clock(r.ts), r.from, r.text]), more);
      return;
    }
    // The last lines of a conversation (joining it, opening it, catching
    // up after a reconnect) or the ones before those shown.
    const v = h && (h.mode === "load" || h.mode === "join") ? h.view : null;
    if (!v) return;
    // `[next]`: where older lines go on from (`id=<id>`, or a time).
    if (!before) {
      v.atStart = true;
    } else if (!v.atStart && (v.before === null || h.mode === "join" && !h.rejoin || h.older)) {
      v.before = before;
    }
    renderStart(v);
  },
};

function presenceWord(p) {
  return { free: "free", busy: "busy", guest: "guest", "guest-busy": "guest, busy" }[p] || p;
}

/** Where a reply without a place of its own goes: the conversation the
 * request came from, else the one shown. */
function where() {
  const h = head();
  return (h && h.view && state.views.has(h.view.key) && h.view) || state.current || lobby();
}

/** Someone joined or left a room: its count from `/rooms` follows. */
function roomCount(room, by) {
  const info = state.rooms.get(lower(room));
  if (info) info.members = Math.max(0, info.members + by);
}

/** Someone spoke in a room: they are in it. */
function noteMember(v, name) {
  if (lower(v.name) === LOBBY || v.members.has(lower(name))) return;
  v.members.set(lower(name), name);
  if (v === state.current) renderMembers();
}

function onError(code, text) {
  const said = sentence(text);
  if (!state.loggedIn) {
    $("login-error").textContent = said;
    state.reconnect = false;
    if (state.ws) state.ws.close();
    return;
  }
  if (state.change && !state.change.done) {
    changeRefused(said);
    return;
  }
  const h = head();
  if (h && h.pending) {
    h.pending.classList.remove("pending");
    h.pending.classList.add("failed");
    h.pending.append(el("span", "why", " — not sent: " + said));
    return;
  }
  if (h && h.mode === "load" && h.view) {
    // Not asked for again by the next scroll at once.
    h.view.failedAt = Date.now();
  }
  if (h && (h.mode === "members" || h.mode === "room-members")) return;
  if (h && h.rejoin) {
    h.rejoin.joined = false;
    updateBadge(h.rejoin);
    if (h.rejoin === state.current) { renderHead(); renderMembers(); }
  }
  const li = error(where(), said);
  if (code === "no-such-room" && h && h.joining) {
    li.append(" ", button("Create #" + h.joining, () => createRoom(h.joining), "small"));
  }
}

// ------------------------------------------------------------ the session

function welcome(name, grant) {
  // Logged in again as another account (`/login` while in): the old
  // account's rooms and conversations are not this one's.
  const switched = state.loggedIn && state.me && lower(state.me) !== lower(name);
  if (switched) {
    for (const v of [...state.views.values()]) removeView(v);
    if (state.switching && lower(state.switching.name) === lower(name)) {
      state.creds = { name, password: state.switching.password, register: false };
    }
  }
  state.switching = null;
  const again = state.everIn && !switched;
  state.me = name;
  state.grant = grant;
  state.loggedIn = true;
  state.everIn = true;
  state.reconnect = true; // an unexpected close reconnects from now on
  state.retry = 500;
  state.creds.register = false;
  state.creds.name = name;
  showMe();
  showChat(true);
  setBusy(false);
  const l = lobby();
  if (!state.current) showView(l);
  state.restarting = false;
  showNotice(again ? "Reconnected." : "");
  if (again) {
    clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(() => { if ($("notice").textContent === "Reconnected.") showNotice(""); }, 6000);
  }
  if (switched) {
    note(l, "Logged in as " + name + ".");
  } else if (!again) {
    note(l, state.registered ? "Welcome, " + name + ": your account is ready. Type below to talk to everyone here." : "Welcome back, " + name + ".");
    $("text").focus();
  }
  request("/viewusers", { mode: "members" });
  // Earlier lobby lines, then the rooms and conversations we were in
  // before a reconnect.
  request("/history " + LOBBY + " " + PAGE_LINES, { mode: "load", view: l, catchUp: again });
  if (again) {
    for (const v of state.views.values()) {
      if (v.kind === "room" && lower(v.name) !== LOBBY && v.joined) {
        // Still shown as joined: the server takes lines typed meanwhile
        // after the join, in order.
        v.joined = false;
        request("/join " + v.name, { mode: "join", switchTo: false, room: v.name, rejoin: v });
        v.joined = true;
      }
    }
  }
  request("/rooms", { mode: "quiet" });
  clearInterval(state.membersTimer);
  state.membersTimer = setInterval(refreshMembersNow, MEMBERS_EVERY_MS);
}

function refreshMembersNow() {
  if (state.loggedIn && !(state.change && !state.change.done)) request("/viewusers", { mode: "members" });
}

/** Joins and leaves change the lobby's people at once; grants and busy
 * come with the next listing. */
function refreshMembers() {
  if (state.current && (lower(state.current.name) === LOBBY || state.current.kind === "pm")) {
    renderMembers();
    if (state.current.kind === "pm") renderHead();
  }
}

function showMe() {
  $("me").textContent = state.me ? state.me + (isAdmin() ? " (admin)" : "") : "";
  $("restart").hidden = !isAdmin();
}

function setBusy(busy) {
  state.busy = busy;
  $("busy").hidden = busy;
  $("free").hidden = !busy;
  setStatus(busy ? "busy: lines are held" : "online");
}

function setStatus(text) { $("status").textContent = text; }

function showNotice(text, bad) {
  const n = $("notice");
  n.textContent = text;
  n.classList.toggle("bad", !!bad);
  n.hidden = !text;
}

function showChat(on) {
  $("chat").hidden = !on;
  $("login-view").hidden = on;
  document.body.classList.toggle("in", on);
}

function stopReconnecting() {
  state.reconnect = false;
  clearTimeout(state.retryTimer);
}

function joinRoom(name) {
  name = name.trim().replace(/^#/, "");
  if (!name) return;
  const v = findView("room", name);
  if (v && v.joined) { showView(v); return; }
  request("/join " + name, { mode: "join", joining: name, room: name });
}

function createRoom(name) {
  name = name.trim().replace(/^#/, "");
  if (name) request("/create " + name, { mode: "join", room: name });
}

// ------------------------------------------------------- password change
// The change runs the server's dialog (`/changepassword`, then an ASK for
// each password), so passwords may hold spaces; while it runs the server
// reads every line as the next answer, so nothing else is sent.

function startChange(values) {
  state.change = { values, step: null, done: false, refusedAt: null };
  raw("/changepassword");
}

function answerAsk(step) {
  const c = state.change;
  if (!c || c.done) return;
  const value = { "old-password": c.values.old, "new-password": c.values.new, "new-password-again": c.values.again }[step];
  if (value === undefined) return;
  if (c.refusedAt === step) {
    // The server asks again after a refusal: the user fixes the form.
    c.waitingFor = step;
    return;
  }
  c.step = step;
  raw(value);
}

function changeRefused(said) {
  const c = state.change;
  $("password-error").textContent = said;
  if (c.step === "new-password") {
    // Too short or too long: the server asks for the new one again.
    c.refusedAt = "new-password";
    $("new-password").focus();
  } else {
    endChange();
  }
}

function endChange() {
  if (state.change) state.change.done = true;
  state.change = null;
  const waiting = state.waiting;
  state.waiting = [];
  for (const [line, info] of waiting) request(line, info);
}

function submitChange() {
  const old = $("old-password").value;
  const nw = $("new-password").value;
  const again = $("new-password-again").value;
  $("password-error").textContent = "";
  if (!old || !nw) { $("password-error").textContent = "Fill in your current and your new password."; return; }
  if (nw !== again) { $("password-error").textContent = "The new passwords differ."; return; }
  const c = state.change;
  if (c && !c.done && c.refusedAt === "new-password") {
    c.values.new = nw;
    c.values.again = again;
    c.refusedAt = null;
    c.step = "new-password";
    raw(nw);
    return;
  }
  startChange({ old, new: nw, again });
}

function clearPasswordForm() {
  for (const id of ["old-password", "new-password", "new-password-again"]) $(id).value = "";
  $("password-error").textContent = "";
}

// --------------------------------------------------------------- the link

function url() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return scheme + "//" + location.host + "/chat";
}

function connect() {
  $("login-error").textContent = "";
  setStatus(state.everIn ? "reconnecting…" : "connecting…");
  const ws = new WebSocket(url(), "chat.v1");
  state.ws = ws;
  ws.onmessage = (e) => { if (typeof e.data === "string") onLine(e.data); };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    const wasIn = state.loggedIn;
    state.loggedIn = false;
    state.requests = [];
    for (const v of state.views.values()) v.loading = false;
    if (state.change) { state.change = null; state.waiting = []; }
    clearInterval(state.membersTimer);
    setStatus("offline");
    if (state.reconnect && state.creds) {
      if (wasIn && !state.restarting) showNotice("The connection was lost: reconnecting…", true);
      state.retryTimer = setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, MAX_RETRY_MS);
    } else {
      showChat(false);
      if (!wasIn && !$("login-error").textContent && $("notice").hidden) {
        $("login-error").textContent = "The server cannot be reached or closed the connection; try again in a moment.";
      }
      if (state.creds) $("name").value = state.creds.name;
      $("password").value = "";
    }
  };
}

/** The server said something. */
function onLine(line) {
  state.tags = {};
  if (line.startsWith("@")) {
    // `@key=value;key=value LINE`: the line's tags, then the line.
    const end = line.indexOf(" ");
    for (const pair of line.slice(1, end < 0 ? line.length : end).split(";")) {
      const eq = pair.indexOf("=");
      if (eq > 0) state.tags[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    line = end < 0 ? "" : line.slice(end + 1);
  }
  const sp = line.indexOf(" ");
  const tagName = sp < 0 ? line : line.slice(0, sp);
  const body = sp < 0 ? "" : line.slice(sp + 1);
  const h = own(LINES, tagName);
  if (h) h(body);
}

function login(register) {
  const name = $("name").value.trim();
  const password = $("password").value;
  if (!name || password.length < 8) {
    $("login-error").textContent = "A name, and a password of at least 8 characters.";
    return;
  }
  state.creds = { name, password, register };
  state.registered = false;
  state.reconnect = false;
  showNotice("");
  if (state.ws) { const old = state.ws; state.ws = null; old.close(); }
  connect();
}

// --------------------------------------------------------------- the input

/** A line typed in the message box. */
function submitText() {
  const input = $("text");
  const text = input.value;
  if (!text.trim()) return;
  const v = state.current;
  if (!/^\/(login|register|changepassword)\b/i.test(text)) remember(text);
  input.value = "";
  if (text.startsWith("/") && !text.startsWith("//")) return command(text, v);
  if (v.kind === "pm") return privateMessage(v, text);
  if (lower(v.name) === LOBBY) { request(text); return; }
  if (!v.joined) { error(v, "You are not in #" + v.name + ": join it again to talk here."); return; }
  // A doubled slash is the way to start a line with one.
  request("/say " + v.name + " " + (text.startsWith("//") ? text.slice(1) : text));
}

function privateMessage(v, text) {
  if (text.startsWith("//")) text = text.slice(1);
  const li = message(v, "pm-out", Date.now(), state.me, text, true);
  if (li) { li.classList.add("pending"); li.setAttribute("aria-busy", "true"); }
  request("/msg " + v.name + " " + text, { pending: li, view: v });
}

/** A typed /command: the ones about the conversation shown may leave out
 * its name; the rest go as typed. */
function command(text, v) {
  const [word, args] = fields(text.slice(1), 1);
  const cmd = lower(word);
  const here = v.kind === "pm" ? "@" + v.name : v.name;
  const room = v.kind === "room" && lower(v.name) !== LOBBY ? v.name : null;
  switch (cmd) {
    case "join": return args ? joinRoom(args) : error(v, "Which room? /join <room>");
    case "create": return args ? createRoom(args) : error(v, "Which room? /create <room>");
    case "part": case "closeroom": case "cleartopic":
      if (!args && room) return void request("/" + cmd + " " + room);
      break;
    case "topic":
      if (!args && room) return void request("/topic " + room);
      break;
    case "history":
      return void request("/history " + (args || here), { target: fields(args || here, 0)[0] });
    case "names": {
      // Of the room shown when none is named.
      const of = (args ? fields(args, 0)[0] : room || LOBBY).replace(/^#/, "");
      return void request("/names " + of, { names: of });
    }
    case "msg": case "messageto": {
      const [to, said] = fields(args, 1);
      const open = findView("pm", to);
      if (open && said) return privateMessage(open, said);
      if (to && said) return void request(text, { said });
      break;
    }
    case "changepassword":
      if (!args) return openPasswordForm();
      break;
    case "query":
      if (args) return openPrivate(args.trim());
      break;
    case "quit": case "disconnect":
      return quit();
    case "login": {
      // Another account's password, kept for reconnecting once the
      // server says WELCOME to it.
      const [name, password] = fields(args, 1);
      if (name && password) state.switching = { name, password };
      break;
    }
    case "help":
      return void request(text, { help: true });
  }
  request(text);
}

function quit() {
  stopReconnecting();
  request("/quit");
}

function remember(text) {
  if (state.sent[state.sent.length - 1] !== text) state.sent.push(text);
  if (state.sent.length > 200) state.sent.shift();
  state.sentAt = -1;
}

/** Up and Down in the message box: what was sent before. */
function browse(by) {
  const input = $("text");
  if (!state.sent.length) return false;
  if (state.sentAt < 0) {
    if (by > 0) return false;
    state.draft = input.value;
    state.sentAt = state.sent.length;
  }
  const at = state.sentAt + by;
  if (at < 0) return true;
  if (at >= state.sent.length) {
    state.sentAt = -1;
    input.value = state.draft;
    return true;
  }
  state.sentAt = at;
  input.value = state.sent[at];
  return true;
}

function openPasswordForm() {
  clearPasswordForm();
  $("password-form").hidden = false;
  closeDrawers();
  $("old-password").focus();
}

// ----------------------------------------------------------------- drawers
// On a narrow screen the rooms and the people are drawers over the
// conversation; on a wide one they are columns and these do nothing.

function toggleDrawer(which) {
  const chat = $("chat");
  const open = !chat.classList.contains(which + "-open");
  closeDrawers(false);
  chat.classList.toggle(which + "-open", open);
  $("scrim").hidden = !open;
  $(which === "nav" ? "open-nav" : "open-members").setAttribute("aria-expanded", String(open));
  if (open) {
    const first = which === "nav"
      ? state.current && state.current.navButton
      : $("members").querySelector(".member button") || $("members").querySelector("button");
    if (first) first.focus();
  }
}

function closeDrawers(refocus) {
  const chat = $("chat");
  const was = chat.classList.contains("nav-open") ? "open-nav" : chat.classList.contains("members-open") ? "open-members" : null;
  chat.classList.remove("nav-open", "members-open");
  $("scrim").hidden = true;
  $("open-nav").setAttribute("aria-expanded", "false");
  $("open-members").setAttribute("aria-expanded", "false");
  if (was && refocus) $(was).focus();
}

// ------------------------------------------------------------------ wiring

$("login").addEventListener("submit", (e) => { e.preventDefault(); login(false); });
$("do-register").addEventListener("click", () => login(true));
$("send").addEventListener("submit", (e) => { e.preventDefault(); submitText(); });
$("text").addEventListener("keydown", (e) => {
  if (e.key === "ArrowUp" && !e.altKey && browse(-1)) e.preventDefault();
  else if (e.key === "ArrowDown" && !e.altKey && browse(1)) e.preventDefault();
  else if (e.key === "PageUp" || e.key === "PageDown") {
    const s = state.current.scroller;
    s.scrollTop += (e.key === "PageUp" ? -1 : 1) * s.clientHeight * 0.9;
    e.preventDefault();
  }
});
$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  joinRoom($("join-name").value);
  $("join-name").value = "";
  closeDrawers();
});
$("do-create").addEventListener("click", () => {
  createRoom($("join-name").value);
  $("join-name").value = "";
  closeDrawers();
});
$("browse-rooms").addEventListener("click", () => { request("/rooms"); closeDrawers(); $("text").focus(); });
$("busy").addEventListener("click", () => request("/busy"));
$("free").addEventListener("click", () => request("/free"));
$("view-kicked").addEventListener("click", () => { request("/viewkickusers"); closeDrawers(); });
$("restart").addEventListener("click", () => request("/restart"));
$("help").addEventListener("click", () => { request("/help", { help: true }); closeDrawers(); });
$("quit").addEventListener("click", quit);
$("change-password").addEventListener("click", openPasswordForm);
$("password-form").addEventListener("submit", (e) => { e.preventDefault(); submitChange(); });
$("password-cancel").addEventListener("click", () => {
  const c = state.change;
  if (c && !c.done && c.refusedAt === "new-password") {
    // The server still waits for a new password, and has no way to
    // cancel: the current one, kept, ends its questions.
    c.cancelled = true;
    c.values.new = c.values.again = c.values.old;
    c.refusedAt = null;
    c.step = "new-password";
    raw(c.values.old);
  }
  clearPasswordForm();
  $("password-form").hidden = true;
  $("text").focus();
});
$("part").addEventListener("click", () => request("/part " + state.current.name));
$("rejoin").addEventListener("click", () => joinRoom(state.current.name));
$("close-room").addEventListener("click", () => request("/closeroom " + state.current.name));
$("close-private").addEventListener("click", () => { removeView(state.current); $("text").focus(); });
$("edit-topic").addEventListener("click", () => {
  const f = $("topic-form");
  f.dataset.view = state.current.key;
  f.hidden = false;
  $("topic-text").value = state.current.topic ? state.current.topic.text : "";
  $("topic-text").focus();
});
$("topic-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("topic-text").value.trim();
  request(text ? "/topic " + state.current.name + " " + text : "/cleartopic " + state.current.name);
});
$("topic-clear").addEventListener("click", () => request("/cleartopic " + state.current.name));
$("topic-cancel").addEventListener("click", () => { $("topic-form").hidden = true; $("edit-topic").focus(); });
$("open-nav").addEventListener("click", () => toggleDrawer("nav"));
$("open-members").addEventListener("click", () => toggleDrawer("members"));
$("scrim").addEventListener("click", () => closeDrawers(true));
for (const b of document.querySelectorAll(".drawer-close")) b.addEventListener("click", () => closeDrawers(true));
document.addEventListener("keydown", (e) => {
  if (!state.loggedIn) return;
  if (e.key === "Escape") {
    if (!$("topic-form").hidden) { $("topic-form").hidden = true; $("edit-topic").focus(); return; }
    closeDrawers(true);
  } else if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
    // Alt-Up and Alt-Down: the conversation above or below in the list.
    stepView(e.key === "ArrowUp" ? -1 : 1);
    e.preventDefault();
  }
});
document.addEventListener("visibilitychange", () => {
  const v = state.current;
  if (!document.hidden && v) { v.unread = 0; v.mentioned = false; updateBadge(v); }
});
setStatus("not connected");
