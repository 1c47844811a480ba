package slackui

import "html/template"

// pageTmpl is the whole page: inline CSS and script, nothing loaded from
// elsewhere. The script polls state.json and reloads on a change, keeping
// the scroll position and which threads were folded.
var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"last": func(ms []msgView) int { return len(ms) - 1 },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Current}}{{if not .Current.IM}}#{{end}}{{.Current.Label}} - {{end}}{{.Team}} (simulated Slack)</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>` + css + `</style></head>
<body data-rev="{{.Rev}}">
<nav class="sidebar">
 <div class="team">{{.Team}} <span class="sim">simulated</span></div>
 <a class="chan follow{{if .Follow}} on{{end}}" href="?" title="Show whichever channel got the latest message">⟳ Follow activity</a>
 <div class="group">Channels</div>
 {{range .Channels}}{{if not .IM}}<a class="chan{{if .Selected}} selected{{end}}{{if not .Count}} empty{{end}}" href="?c={{.ID}}"><span class="hash">#</span> {{.Label}}{{if .Count}}<span class="count">{{.Count}}</span>{{end}}</a>
 {{end}}{{end}}
 {{if .HasIM}}<div class="group">Direct messages</div>{{end}}
 {{range .Channels}}{{if .IM}}<a class="chan{{if .Selected}} selected{{end}}{{if not .Count}} empty{{end}}" href="?c={{.ID}}"><span class="hash">●</span> {{.Label}}{{if .Count}}<span class="count">{{.Count}}</span>{{end}}</a>
 {{end}}{{end}}
</nav>
<div class="main">
 {{if .Current}}<header class="topbar"><span class="title">{{if .Current.IM}}{{.Current.Label}}{{else}}# {{.Current.Label}}{{end}}</span>
 <span class="live">{{if .Viewer}}as {{.Viewer}} · {{end}}live</span></header>
 <div class="messages" id="messages">
 {{if not .Messages}}<div class="nothing">No messages in this channel yet.</div>{{end}}
 {{range .Messages}}{{template "msg" .}}{{if .Replies}}
 <details class="thread" open data-ts="{{.TS}}"><summary>{{len .Replies}} {{if eq (len .Replies) 1}}reply{{else}}replies{{end}}<span class="last">Last reply {{(index .Replies (last .Replies)).Time}}</span></summary>
 <div class="replies">{{range .Replies}}{{template "msg" .}}{{end}}</div></details>{{end}}
 {{end}}</div>
 {{else}}<div class="nothing">Waiting for the simulated workspace to start…</div>{{end}}
</div>
<script nonce="{{.Nonce}}">
(function () {
  var rev = {{.Rev}}, key = "slackui:" + location.search, box = document.getElementById("messages");
  var folded = JSON.parse(sessionStorage.getItem(key + ":folded") || "{}");
  document.querySelectorAll("details.thread").forEach(function (d) {
    if (folded[d.dataset.ts]) d.open = false;
    d.addEventListener("toggle", function () {
      folded[d.dataset.ts] = !d.open;
      sessionStorage.setItem(key + ":folded", JSON.stringify(folded));
    });
  });
  if (box) {
    var top = sessionStorage.getItem(key + ":top");
    box.scrollTop = top === null || top === "bottom" ? box.scrollHeight : +top;
    addEventListener("beforeunload", function () {
      var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
      sessionStorage.setItem(key + ":top", atBottom ? "bottom" : String(box.scrollTop));
    });
  }
  setInterval(function () {
    fetch("state.json", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) { if (s.rev !== rev) location.reload(); })
      .catch(function () {});
  }, {{.PollMS}});
})();
</script>
</body></html>
{{define "msg"}}<div class="msg{{if .Ephemeral}} ephemeral{{end}}" data-ts="{{.TS}}">
 {{if .Ephemeral}}<div class="only-you">👁 Only visible to you{{if .EphemeralTo}} <span class="to">(shown to {{.EphemeralTo}})</span>{{end}}</div>{{end}}
 <div class="row"><div class="avatar" style="background: {{.Color}}">{{.Initial}}</div>
 <div class="content"><div class="meta"><span class="author">{{.Author}}</span>{{if .Bot}}<span class="app">APP</span>{{end}}<time title="{{.Stamp}}">{{.Time}}</time></div>
 <div class="body">{{.Body}}</div></div></div>
</div>{{end}}`))

const css = `
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{display:flex;font:15px/1.46668 "Lato","Slack-Lato",-apple-system,BlinkMacSystemFont,"Segoe UI","Helvetica Neue",Arial,sans-serif;color:#1d1c1d;background:#fff}
.sidebar{width:260px;flex:none;background:#3f0e40;color:#cfc3cf;overflow-y:auto;padding-bottom:16px}
.team{color:#fff;font-weight:900;font-size:18px;padding:14px 16px;border-bottom:1px solid #5d3a5e;margin-bottom:10px}
.sim{font-size:11px;font-weight:700;background:#611f69;color:#e8d5e8;border-radius:3px;padding:1px 5px;vertical-align:middle;margin-left:4px}
.group{font-size:14px;padding:8px 16px 4px;color:#bcabbc}
.chan{display:flex;align-items:center;height:28px;padding:0 16px;color:#cfc3cf;text-decoration:none;font-size:15px}
.chan:hover{background:#350d36}
.chan.selected{background:#1164a3;color:#fff}
.chan.empty{opacity:.6}
.chan.selected.empty{opacity:1}
.follow{font-size:14px;margin-bottom:6px}
.follow.on{color:#fff;font-weight:700}
.follow.on::after{content:"on";margin-left:auto;font-size:11px;font-weight:700;background:#2bac76;border-radius:9px;padding:0 7px;line-height:18px}
.hash{width:18px;display:inline-block;opacity:.8}
.count{margin-left:auto;background:rgba(255,255,255,.18);color:#fff;font-size:12px;font-weight:700;border-radius:9px;padding:0 7px;line-height:18px}
.chan.selected .count{background:#fff;color:#1164a3}
.main{flex:1;display:flex;flex-direction:column;min-width:0}
.topbar{height:49px;flex:none;display:flex;align-items:center;padding:0 20px;border-bottom:1px solid #e2e2e2}
.title{font-weight:900;font-size:18px}
.live{margin-left:auto;font-size:12px;color:#616061}
.live::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:#2bac76;margin-right:6px}
.messages{flex:1;overflow-y:auto;padding:8px 0 24px}
.nothing{padding:24px 20px;color:#616061}
.msg{padding:8px 20px}
.msg:hover{background:#f8f8f8}
.row{display:flex;gap:8px}
.avatar{width:36px;height:36px;flex:none;border-radius:4px;color:#fff;font-weight:900;font-size:18px;display:flex;align-items:center;justify-content:center}
.content{min-width:0;flex:1}
.meta{line-height:1.2;margin-bottom:2px}
.author{font-weight:900}
.app{font-size:10px;font-weight:700;color:#616061;background:rgba(29,28,29,.13);border-radius:2px;padding:1px 3px;margin-left:4px;vertical-align:1px}
time{font-size:12px;color:#616061;margin-left:8px}
.text{white-space:pre-wrap;word-wrap:break-word}
.deleted{color:#616061;font-style:italic}
.header{font-size:18px;font-weight:900;margin:4px 0}
.section{display:flex;gap:12px;margin:4px 0}
.section-body{flex:1;min-width:0}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:4px}
.context{display:flex;flex-wrap:wrap;gap:4px 10px;font-size:12px;color:#616061;margin:4px 0}
.ctx{white-space:pre-wrap}
.ctx-img{font-size:12px;color:#868686}
.divider{border:0;border-top:1px solid #ddd;margin:8px 0}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0 4px}
.btn{font:700 13px/1 inherit;font-family:inherit;height:28px;padding:0 12px;border-radius:4px;border:1px solid rgba(29,28,29,.3);background:#fff;color:#1d1c1d;cursor:default}
.btn-primary{background:#007a5a;border-color:#007a5a;color:#fff}
.btn-danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
.btn-select{font-weight:400}
.image{color:#616061;font-size:13px;margin:4px 0}
.input label{font-weight:700;display:block;margin:4px 0}
.input-box{height:34px;border:1px solid #868686;border-radius:4px;max-width:480px}
.unknown{color:#868686;font-size:13px}
code{font:12px/1.5 Menlo,Monaco,Consolas,"Courier New",monospace;color:#e01e5a;background:rgba(29,28,29,.04);border:1px solid rgba(29,28,29,.13);border-radius:3px;padding:0 3px}
pre.code{font:12px/1.5 Menlo,Monaco,Consolas,"Courier New",monospace;background:rgba(29,28,29,.04);border:1px solid rgba(29,28,29,.13);border-radius:4px;padding:8px;margin:4px 0;white-space:pre-wrap;word-break:break-all}
a{color:#1264a3;text-decoration:none}
a:hover{text-decoration:underline}
.mention{color:#1264a3;background:rgba(29,155,209,.1);border-radius:3px;padding:0 2px}
.broadcast{color:#8f6a00;background:rgba(242,199,68,.4)}
.quote{display:inline-block;border-left:4px solid #ddd;padding-left:10px}
.edited{font-size:12px;color:#616061;margin-left:4px}
.body>.edited{margin-left:0}
.ephemeral{background:#f8f8f8}
.only-you{font-size:12px;color:#616061;margin:0 0 4px 44px}
.to{color:#868686}
.thread{margin:0 20px 4px 64px}
.last{font-weight:400;color:#616061;margin-left:8px}
.thread summary{cursor:pointer;color:#1264a3;font-size:13px;font-weight:700;padding:2px 0;list-style-position:outside}
.replies{border-left:2px solid #e2e2e2;margin:2px 0 6px 0}
.replies .msg{padding:6px 12px}
`
