// The chat page: chat/1 over a WebSocket (subprotocol chat.v1), one line
// per message. Every piece of text from the server is inserted with
// textContent, never as HTML; the page's policy forbids inline script.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  ws: null,
  creds: null,       // { name, password, register }
  me: null,
  grant: 1,
  busy: false,
  loggedIn: false,
  reconnect: false,  // connect again when the socket closes
  retry: 500,
  to: null,          // private message target
  listing: [],
  usersTimer: null,
  usersPoll: null,
};

function url() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return scheme + "//" + location.host + "/chat";
}

function setStatus(text) { $("status").textContent = text; }

function notice(text, bad) {
  const n = $("notice");
  n.textContent = text;
  n.classList.toggle("bad", !!bad);
  n.hidden = !text;
}

/** Splits a line into its first `n` fields and the rest. */
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

function time(ts) {
  const d = new Date(Number(ts));
  const el = document.createElement("time");
  el.dateTime = d.toISOString();
  el.textContent = [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((v) => String(v).padStart(2, "0")).join(":");
  return el;
}

function mentions(text) {
  if (!state.me) return false;
  const esc = state.me.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp("(^|[^A-Za-z0-9_-])@?" + esc + "($|[^A-Za-z0-9_-])", "i").test(text);
}

/** Appends one row to the log; all parts are text. */
function row(kind, ts, from, text) {
  const log = $("log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const li = document.createElement("li");
  li.className = kind;
  if (ts) li.append(time(ts));
  if (from) {
    const f = document.createElement("span");
    f.className = "from";
    f.textContent = from;
    li.append(f);
  }
  const t = document.createElement("span");
  t.className = "text";
  t.textContent = text;
  li.append(t);
  if ((kind === "msg" || kind === "pm") && from !== state.me && mentions(text)) {
    li.classList.add("mention");
  }
  log.append(li);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function send(line) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(line);
}

function refreshUsers() {
  clearTimeout(state.usersTimer);
  state.usersTimer = setTimeout(() => send("/viewusers"), 100);
}

function renderUsers(list) {
  const ul = $("users");
  ul.replaceChildren();
  for (const u of list) {
    const li = document.createElement("li");
    li.dataset.name = u.name;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = u.name;
    name.title = "private message";
    name.addEventListener("click", () => setTarget(u.name));
    li.append(name);
    if (u.grant === "0") li.append(tag("admin", "admin"));
    if (u.presence === "busy") li.append(tag("busy", "busy"));
    if (state.grant === 0 && u.name !== state.me) {
      li.append(action("kick", () => send("/kickuser " + u.name)));
      li.append(u.grant === "0"
        ? action("make user", () => send("/changegrant " + u.name + " 1"))
        : action("make admin", () => send("/changegrant " + u.name + " 0")));
    }
    ul.append(li);
  }
}

function tag(cls, text) {
  const s = document.createElement("span");
  s.className = "tag " + cls;
  s.textContent = text;
  return s;
}

function action(text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "admin-action";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

function setTarget(name) {
  state.to = name === state.me ? null : name;
  const to = $("to");
  to.hidden = !state.to;
  to.textContent = state.to ? "to " + state.to + " ✕" : "";
  $("text").placeholder = state.to ? "Private message to " + state.to : "Message the room, or /command";
  $("text").focus();
}

function setBusy(busy) {
  state.busy = busy;
  $("busy").hidden = busy;
  $("free").hidden = !busy;
  setStatus(busy ? "busy: room lines are held" : "online");
}

function showChat(on) {
  $("chat").hidden = !on;
  $("login").hidden = on;
}

/** The server said something. */
function onLine(line) {
  const tagName = fields(line, 0)[0].split(" ")[0];
  const body = line.slice(tagName.length + 1);
  switch (tagName) {
    case "HELLO": {
      const [, name] = fields(body, 1);
      $("server").textContent = name || "chat";
      const c = state.creds;
      if (c) send((c.register ? "/register " : "/login ") + c.name + " " + c.password);
      break;
    }
    case "ASK": break; // the one-line login is used instead of the dialog
    case "WELCOME": {
      const [name, grant] = fields(body, 1);
      const again = state.reconnect;
      state.me = name;
      state.grant = Number(grant);
      state.loggedIn = true;
      state.reconnect = true; // an unexpected close reconnects from now on
      state.retry = 500;
      state.creds.register = false;
      $("me").textContent = name + (state.grant === 0 ? " (admin)" : "");
      showChat(true);
      setBusy(false);
      notice(again ? "Reconnected." : "");
      refreshUsers();
      // Busy and free are not announced to others: the list is asked for
      // again now and then.
      clearInterval(state.usersPoll);
      state.usersPoll = setInterval(() => { if (state.loggedIn) send("/viewusers"); }, 4000);
      break;
    }
    case "ERR": {
      const [code, text] = fields(body, 1);
      if (!state.loggedIn) {
        $("login-error").textContent = text + " (" + code + ")";
        state.reconnect = false;
        state.ws.close();
      } else {
        row("err", null, null, text + " (" + code + ")");
      }
      break;
    }
    case "MSG": { const [ts, from, text] = fields(body, 2); row("msg", ts, from, text); break; }
    case "PM": { const [ts, from, text] = fields(body, 2); row("pm", ts, from, text); break; }
    case "JOIN": {
      const [ts, user] = fields(body, 1);
      row("join", ts, null, user + " joined");
      refreshUsers();
      break;
    }
    case "LEAVE": {
      const [ts, user, reason] = fields(body, 2);
      row("leave", ts, null, user + " left (" + reason + ")");
      refreshUsers();
      break;
    }
    case "INFO": row("info", null, null, body); break;
    case "USER": {
      const [name, grant, presence] = fields(body, 2);
      state.listing.push({ name, grant, presence });
      break;
    }
    case "END": {
      const [list] = fields(body, 1);
      if (list === "users") { renderUsers(state.listing); state.listing = []; }
      break;
    }
    case "OK": {
      const [what, rest] = fields(body, 1);
      if (what === "sent") break;
      if (what === "grant" || what === "kicked" || what === "unkicked") refreshUsers();
      if (what !== "login" && what !== "registered") row("info", null, null, "OK " + what + " " + rest);
      break;
    }
    case "CTL": onControl(body); break;
    default: break; // a tag this page does not know: ignored, as the protocol says
  }
}

function onControl(body) {
  const [what, a, rest] = fields(body, 2);
  switch (what) {
    case "busy": setBusy(true); refreshUsers(); break;
    case "free": setBusy(false); refreshUsers(); break;
    case "grant":
      state.grant = Number(a);
      $("me").textContent = state.me + (state.grant === 0 ? " (admin)" : "");
      row("info", null, null, state.grant === 0 ? "You are an admin now." : "You are a user now.");
      refreshUsers();
      break;
    case "kick":
      state.reconnect = false;
      notice("You were kicked by " + a + (rest ? ": " + rest : "."), true);
      break;
    case "disconnect":
      state.reconnect = false;
      notice("You left the chat.");
      break;
    case "shutdown":
      state.reconnect = false;
      notice("The server is shutting down. Reload the page to try again later.", true);
      break;
    case "restart":
      state.reconnect = true;
      state.retry = 300;
      notice("The server is restarting: reconnecting…");
      break;
  }
}

function connect() {
  $("login-error").textContent = "";
  setStatus("connecting…");
  const ws = new WebSocket(url(), "chat.v1");
  state.ws = ws;
  ws.onopen = () => setStatus("connected");
  ws.onmessage = (e) => { if (typeof e.data === "string") onLine(e.data); };
  ws.onclose = () => {
    if (state.ws !== ws) return;
    const wasIn = state.loggedIn;
    state.loggedIn = false;
    setStatus("disconnected");
    if (state.reconnect && state.creds) {
      if (wasIn && $("notice").hidden) notice("Connection lost: reconnecting…");
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 5000);
    } else if (!wasIn) {
      showChat(false);
    }
  };
}

function login(register) {
  const name = $("name").value.trim();
  const password = $("password").value;
  if (!name || password.length < 8) {
    $("login-error").textContent = "A name, and a password of at least 8 characters.";
    return;
  }
  state.creds = { name, password, register };
  state.reconnect = false;
  notice("");
  if (state.ws) { const old = state.ws; state.ws = null; old.close(); }
  connect();
}

$("login").addEventListener("submit", (e) => { e.preventDefault(); login(false); });
$("do-register").addEventListener("click", () => login(true));
$("send").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("text");
  const text = input.value;
  if (!text.trim()) return;
  if (text.startsWith("/")) send(text);
  else if (state.to) send("/msg " + state.to + " " + text);
  else send(text);
  if (state.to && !text.startsWith("/")) row("pm", String(Date.now()), "to " + state.to, text);
  input.value = "";
});
$("to").addEventListener("click", () => setTarget(null));
$("busy").addEventListener("click", () => send("/busy"));
$("free").addEventListener("click", () => send("/free"));
$("quit").addEventListener("click", () => send("/quit"));
setStatus("not connected");
