// The upload widget (templates/upload_widget.html): photos and clips sent in 1 MB chunks with a
// progress bar, resumable on a slow link. Protocol (publisher/web/routes/uploads.py):
//   POST /uploads {name, size, kind} -> {id, offset}; PUT /uploads/{id} + Upload-Offset -> {offset, done};
//   GET /uploads/{id} -> {offset, size, done, error}: where to go on after a failure.
// A failed chunk is retried a few times (after asking the server how much it holds); then the file
// shows "Continue". Picking the same file again after a reload continues where it stopped
// (localStorage remembers the upload's id). A finished upload adds
// <input type="hidden" name="{field}" value="{id}"> to the form. No inline script (CSP), no library.
(function () {
  "use strict";
  if (window.publisherUploads) { return; }
  window.publisherUploads = true;

  var CHUNK = 1024 * 1024;
  var RETRIES = 4;
  var items = [];

  function csrf() { return document.body.getAttribute("data-csrf") || ""; }

  function fill(text, params) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : all;
    });
  }

  function sleep(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }

  // One HTTP exchange: resolves {status, data} for any answer, rejects on a network failure.
  function send(item, method, url, body, headers, onprogress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      item.xhr = xhr;
      xhr.open(method, url);
      xhr.timeout = 180000;
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      Object.keys(headers || {}).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onprogress && xhr.upload) {
        xhr.upload.onprogress = function (event) { if (event.lengthComputable) { onprogress(event.loaded); } };
      }
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText || "{}") || {}; } catch (e) { data = {}; }
        resolve({ status: xhr.status, data: data });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { reject(new Error("network")); };
      xhr.send(body === undefined ? null : body);
    });
  }

  function storeKey(file) { return "publisher-upload:" + file.name + ":" + file.size + ":" + file.lastModified; }
  function remember(file, id) { try { localStorage.setItem(storeKey(file), id); } catch (e) { /* private mode */ } }
  function recall(file) { try { return localStorage.getItem(storeKey(file)); } catch (e) { return null; } }
  function forget(file) { try { localStorage.removeItem(storeKey(file)); } catch (e) { /* private mode */ } }

  function text(widget, name) { return widget.getAttribute("data-t-" + name) || ""; }

  function announce(item, message) { item.widget.querySelector(".upload-live").textContent = message; }

  function percent(item, sent) {
    return item.file.size ? Math.min(100, Math.floor((sent * 100) / item.file.size)) : 100;
  }

  function show(item, sent) {
    var pct = percent(item, sent);
    var line = fill(text(item.widget, "progress"), { percent: pct, name: item.file.name });
    item.bar.value = pct;
    item.bar.textContent = pct + "%";
    item.state.textContent = line;
    if (pct >= item.told + 10 || pct === 100) {  // a screen reader hears every 10%, not every packet
      item.told = pct - (pct % 10);
      announce(item, line);
    }
  }

  function fail(item, message) {
    item.error.textContent = message || fill(text(item.widget, "failed"), { name: item.file.name });
    item.error.hidden = false;
    item.resume.hidden = true;
    item.bar.hidden = true;
    item.state.textContent = "";
    item.li.classList.add("upload-failed");
    announce(item, item.error.textContent);
    forget(item.file);
  }

  function stalled(item) {
    item.state.textContent = fill(text(item.widget, "stalled"), { percent: percent(item, item.offset) });
    item.resume.hidden = false;
    announce(item, item.state.textContent);
  }

  function finished(item, data) {
    item.done = true;
    forget(item.file);
    show(item, item.file.size);
    item.state.textContent = fill(text(item.widget, "done"), { name: item.file.name });
    announce(item, item.state.textContent);
    item.li.classList.add("upload-done");
    if (data.thumb) {
      var img = document.createElement("img");
      img.className = "upload-thumb";
      img.alt = item.file.name;
      img.src = data.thumb;
      item.li.insertBefore(img, item.li.firstChild);
    }
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = item.widget.getAttribute("data-field");
    hidden.value = item.id;
    item.li.appendChild(hidden);
  }

  // Where the server stands; false when the upload is gone or refused (already shown).
  async function sync(item) {
    var res = await send(item, "GET", "/uploads/" + item.id);
    if (res.status !== 200) {
      fail(item, res.data.error);
      return false;
    }
    item.offset = res.data.offset;
    if (res.data.error) { fail(item, res.data.error); return false; }
    if (res.data.done) { finished(item, res.data); return false; }
    return true;
  }

  async function begin(item) {
    var saved = recall(item.file);
    if (saved) {
      try {
        var res = await send(item, "GET", "/uploads/" + saved);
        if (res.status === 200 && res.data.size === item.file.size && !res.data.error && !res.data.done) {
          item.id = saved;
          item.offset = res.data.offset;
          return true;
        }
      } catch (e) { /* start afresh below */ }
      forget(item.file);
    }
    var body = JSON.stringify({ name: item.file.name, size: item.file.size, kind: item.widget.getAttribute("data-kind") });
    var start = await send(item, "POST", "/uploads", body, { "Content-Type": "application/json" });
    if (start.status !== 201) { fail(item, start.data.error); return false; }
    item.id = start.data.id;
    item.offset = start.data.offset || 0;
    remember(item.file, item.id);
    return true;
  }

  async function chunks(item) {
    var failures = 0;
    while (!item.removed) {
      var end = Math.min(item.offset + CHUNK, item.file.size);
      var res = null;
      if (end === item.file.size) { item.state.textContent = fill(text(item.widget, "checking"), { name: item.file.name }); }
      try {
        var from = item.offset;
        res = await send(item, "PUT", "/uploads/" + item.id, item.file.slice(from, end),
          { "Upload-Offset": String(from), "Content-Type": "application/octet-stream" },
          function (loaded) { show(item, from + loaded); });
      } catch (e) { res = null; }
      if (item.removed) { return; }
      if (res && res.status === 200) {
        failures = 0;
        item.offset = res.data.offset;
        show(item, item.offset);
        if (res.data.done) { finished(item, res.data); return; }
        continue;
      }
      if (res && res.status === 409 && typeof res.data.offset === "number") {
        item.offset = res.data.offset;  // the server holds more or less than we thought: go on from there
        continue;
      }
      if (res && res.status >= 400 && [408, 409, 429].indexOf(res.status) < 0 && res.status < 500 || res && res.status === 507) {
        fail(item, res.data.error);  // too big, wrong type, damaged, gone: trying again changes nothing
        return;
      }
      failures += 1;
      if (failures > RETRIES) { stalled(item); return; }
      item.state.textContent = fill(text(item.widget, "retry"), { n: failures, max: RETRIES });
      await sleep(1000 * Math.pow(2, failures - 1));
      try { if (!(await sync(item))) { return; } } catch (e) { /* the next PUT tells */ }
    }
  }

  async function run(item) {
    if (item.busy || item.done) { return; }
    item.busy = true;
    item.resume.hidden = true;
    item.error.hidden = true;
    try {
      if (!item.id) {
        if (!(await begin(item))) { return; }
      } else if (!(await sync(item))) {
        return;
      }
      show(item, item.offset);
      await chunks(item);
    } catch (e) {
      if (!item.removed) { stalled(item); }
    } finally {
      item.busy = false;
    }
  }

  function remove(item) {
    item.removed = true;
    if (item.busy && item.xhr) { item.xhr.abort(); }
    var host = item.li.parentNode;
    item.li.remove();
    items = items.filter(function (other) { return other !== item; });
    // the form's live check and counters listen for "change": a removed file changes the post
    if (host) { host.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function add(widget, file) {
    var li = document.createElement("li");
    li.className = "upload-file";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.textContent = "0%";
    bar.setAttribute("aria-label", file.name);
    var state = document.createElement("span");
    state.className = "upload-state";
    var error = document.createElement("p");
    error.className = "error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    var resume = document.createElement("button");
    resume.type = "button";
    resume.className = "secondary upload-resume";
    resume.textContent = text(widget, "resume");
    resume.hidden = true;
    var drop = document.createElement("button");
    drop.type = "button";
    drop.className = "link upload-remove";
    drop.textContent = text(widget, "remove");
    [name, bar, state, resume, drop, error].forEach(function (node) { li.appendChild(node); });
    widget.querySelector(".upload-files").appendChild(li);
    var item = { widget: widget, file: file, li: li, bar: bar, state: state, error: error, resume: resume,
      id: null, offset: 0, told: -10, busy: false, done: false, removed: false, xhr: null };
    resume.addEventListener("click", function () { run(item); });
    drop.addEventListener("click", function () { remove(item); });
    items.push(item);
    run(item);
  }

  function init(root) {
    root.querySelectorAll("[data-upload]").forEach(function (widget) {
      if (widget.hasAttribute("data-ready")) { return; }
      widget.setAttribute("data-ready", "");
      var input = widget.querySelector(".upload-input");
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files || []);
        if (!widget.hasAttribute("data-multiple")) {
          files = files.slice(0, 1);
          items.filter(function (item) { return item.widget === widget; }).forEach(remove);
        }
        files.forEach(function (file) { add(widget, file); });
        input.value = "";
      });
    });
  }

  // A form is not sent while one of its files is still on its way (its id would be missing).
  document.addEventListener("submit", function (event) {
    var pending = items.filter(function (item) {
      return !item.done && !item.removed && item.error.hidden && event.target.contains(item.widget);
    });
    if (pending.length) {
      event.preventDefault();
      event.stopImmediatePropagation();
      var message = text(pending[0].widget, "wait");
      announce(pending[0], message);
      pending[0].state.textContent = message;
    }
  }, true);

  document.addEventListener("htmx:load", function (event) { init(event.target); });
  init(document);
}());
