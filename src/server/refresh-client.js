// The browser side of `hmr-run --refresh`, inlined once into every HTML page the app
// sends (see refresh-inject.ts). Plain ES2017 on purpose: it runs untranspiled in
// whatever browser opens the page. `cfg` is { path, boot, version }: the server's state
// when this page was rendered. The server streams its state; a page whose state is
// stale reloads, a failed reload shows an overlay.
function hmrRunClient(cfg) {
  // Fragments swapped in by htmx and the like may carry the script again: one client per page.
  if (window.__hmrRun) return;
  window.__hmrRun = cfg;

  var RELOADED_FOR = "hmr-run:reloaded-for";
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("hmr-run") : null;
  var leading = false;
  var last = null;
  var overlay = null;
  var delay = 100;
  var wasDown = false;
  var timer = 0;

  function apply(state) {
    if (state.error) return showOverlay(state.error);
    var id = state.boot + ":" + state.version;
    if (id === cfg.boot + ":" + cfg.version) return hideOverlay();
    // A page from the HTTP cache keeps its old stamp after reloading: reload once, not forever.
    var seen = null;
    try {
      seen = sessionStorage.getItem(RELOADED_FOR);
      sessionStorage.setItem(RELOADED_FOR, id);
    } catch (e) {
      // Storage is off (sandboxed frame): reloading without the loop guard is still right.
    }
    if (seen === id) return hideOverlay();
    location.reload();
  }

  function received(state) {
    last = state;
    if (leading && channel) channel.postMessage({ state: state });
    apply(state);
  }

  // One tab per origin holds the connection and relays it to the others, so any number of
  // tabs costs one of the browser's six HTTP/1.1 connections to this server.
  function lead() {
    leading = true;
    connect();
    return new Promise(function () {});
  }

  function connect() {
    timer = 0;
    fetch(cfg.path, { cache: "no-store", headers: { accept: "text/event-stream" } })
      .then(function (res) {
        var type = res.headers.get("content-type") || "";
        if (res.ok && type.indexOf("text/event-stream") === 0 && res.body) {
          delay = 100;
          wasDown = false;
          return read(res.body.getReader());
        }
        // Something answered that is not this channel: a server restarted without --refresh
        // (its page is what the user wants now), or one that refuses this page (stop asking).
        if (wasDown) location.reload();
        else console.warn("[hmr-run] " + cfg.path + " answered " + res.status + ": auto-refresh is off for this page");
        return "stop";
      })
      .then(
        function (how) {
          if (how !== "stop") retry();
        },
        retry,
      );
  }

  function read(reader) {
    var decoder = new TextDecoder();
    var buf = "";
    function next() {
      return reader.read().then(function (r) {
        if (r.done) return;
        buf += decoder.decode(r.value, { stream: true });
        var end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          var event = buf.slice(0, end);
          buf = buf.slice(end + 2);
          var data = event
            .split("\n")
            .filter(function (l) { return l.indexOf("data:") === 0; })
            .map(function (l) { return l.slice(5); })
            .join("\n");
          if (data) received(JSON.parse(data));
        }
        return next();
      });
    }
    return next();
  }

  // The server is down (restarting, crashed): back off to one attempt every 2 s, or 10 s
  // while the tab is hidden, and try at once when it becomes visible again.
  function retry() {
    wasDown = true;
    var jitter = Math.random() * delay * 0.3;
    timer = setTimeout(connect, delay + jitter);
    delay = Math.min(delay * 2, document.hidden ? 10000 : 2000);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer) {
      clearTimeout(timer);
      delay = 100;
      connect();
    }
  });

  if (channel && navigator.locks) {
    channel.onmessage = function (e) {
      var msg = e.data || {};
      if (msg.state) apply(msg.state);
      else if (msg.ask && leading && last) channel.postMessage({ state: last });
    };
    navigator.locks.request("hmr-run", lead);
    channel.postMessage({ ask: true });
  } else {
    // No Web Locks outside secure contexts (http://192.168.x.y): each tab connects itself.
    leading = true;
    connect();
  }

  function hideOverlay() {
    if (overlay) overlay.remove();
    overlay = null;
  }

  function showOverlay(err) {
    hideOverlay();
    overlay = document.createElement("hmr-run-overlay");
    var root = overlay.attachShadow({ mode: "open" });
    // Static markup only: every piece of the error goes in through textContent below.
    root.innerHTML =
      "<style>" +
      ".bg{position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.66);display:flex;align-items:flex-start;justify-content:center;padding:8vh 16px;box-sizing:border-box;overflow:auto}" +
      ".box{max-width:min(960px,100%);width:100%;background:#181818;color:#e8e8e8;border-top:6px solid #ff5555;border-radius:6px;box-shadow:0 12px 40px rgba(0,0,0,.5);padding:24px 28px;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-sizing:border-box}" +
      "h1{margin:0 0 12px;font-size:16px;color:#ff7777}" +
      ".where{color:#8ab4f8;margin:0 0 12px}" +
      "pre{margin:0 0 16px;white-space:pre-wrap;word-break:break-word}" +
      ".msg{color:#ffb4b4;font-weight:600}" +
      ".frame{background:#101010;padding:12px 0;border-radius:4px;overflow:auto;white-space:pre;color:#aaa}" +
      ".frame span{display:block;min-width:max-content;padding:0 14px;min-height:1.5em}" +
      ".frame .hit{color:#fff;background:#3a1d1d}" +
      ".tip{margin:0;color:#999;font-size:13px}" +
      "</style>" +
      "<div class=bg part=backdrop><div class=box role=alertdialog aria-modal=true aria-labelledby=t>" +
      "<h1 id=t>Reload failed</h1><p class=where></p><pre class=msg></pre><pre class=frame></pre>" +
      "<p class=tip>The previous code keeps running. Fix the file and save: this page reloads by itself. Esc or a click outside hides this.</p>" +
      "</div></div>";
    var where = root.querySelector(".where");
    if (err.file) where.textContent = err.file;
    else where.remove();
    root.querySelector(".msg").textContent = err.message;
    var frame = root.querySelector(".frame");
    if (err.frame) {
      err.frame.split("\n").forEach(function (line) {
        var span = document.createElement("span");
        // The failing line and its caret line stand out.
        if (line.charAt(0) === ">" || /^\s+\|\s*\^\s*$/.test(line)) span.className = "hit";
        span.textContent = line;
        frame.appendChild(span);
      });
    } else frame.remove();
    root.querySelector(".bg").addEventListener("click", function (e) {
      if (e.target === e.currentTarget) hideOverlay();
    });
    document.documentElement.appendChild(overlay);
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") hideOverlay();
  });
}
