package slackui

import (
	"encoding/json"
	"testing"
)

func TestMrkdwnHTML(t *testing.T) {
	n := names{users: map[string]string{"U1ALICE": "alice"}, channels: map[string]string{"C0ALERTS": "ci-alerts"}}
	tests := []struct {
		name, in, want string
	}{
		{"bold italic strike", "*bold* _it_ ~gone~", "<b>bold</b> <i>it</i> <s>gone</s>"},
		{"adjacent spans", "*a* *b*", "<b>a</b> <b>b</b>"},
		{"snake_case and arithmetic stay", "ccm_approve_button 2*3*4", "ccm_approve_button 2*3*4"},
		{"bold around a link", "*<https://ci.example/1|run 1>*", `<b><a href="https://ci.example/1" target="_blank" rel="noopener noreferrer">run 1</a></b>`},
		{"inline code is not formatted", "`*x* <y>`", "<code>*x* &lt;y&gt;</code>"},
		{"code block takes its line break", "a\n```x```\nb", "a\n" + `<pre class="code">x</pre>` + "b"},
		{"code block", "```\nline *1*\n&lt;b&gt;```", `<pre class="code">line *1*` + "\n" + `&lt;b&gt;</pre>`},
		{"entities stay text", "a &lt;b&gt; &amp;amp; c", "a &lt;b&gt; &amp;amp; c"},
		{"raw script is text", `<script>alert("x")</script>`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`},
		{"escaped script is text", `&lt;script&gt;alert(1)&lt;/script&gt;`, `&lt;script&gt;alert(1)&lt;/script&gt;`},
		{"javascript: is not a link", "<javascript:alert(1)|click>", "&lt;javascript:alert(1)|click&gt;"},
		{"quote in a url is not a link", `<https://x.example/" onclick="y|z>`, `&lt;https://x.example/&#34; onclick=&#34;y|z&gt;`},
		{"label is escaped", "<https://x.example|<b>&amp;>", "&lt;https://x.example|&lt;b&gt;&amp;&gt;"},
		{"label entities", "<https://x.example|a &lt;b&gt;>", `<a href="https://x.example" target="_blank" rel="noopener noreferrer">a &lt;b&gt;</a>`},
		{"bare url", "<https://x.example/a?b=1&amp;c=2>", `<a href="https://x.example/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">https://x.example/a?b=1&amp;c=2</a>`},
		{"user mention", "<@U1ALICE> and <@U9NOBODY>", `<span class="mention">@alice</span> and <span class="mention">@U9NOBODY</span>`},
		{"channel mention", "<#C0ALERTS> <#C9|other>", `<span class="mention">#ci-alerts</span> <span class="mention">#other</span>`},
		{"group and broadcast", "<!subteam^S1|@ops> <!here>", `<span class="mention">@ops</span> <span class="mention broadcast">@here</span>`},
		{"date fallback", "<!date^1796491784^{date_short}|2026-12-05>", "2026-12-05"},
		{"quote", "&gt; quoted\nnot", `<span class="quote">quoted</span>` + "\nnot"},
		{"emoji", ":white_check_mark: done :unknown_thing:", "✅ done :unknown_thing:"},
		{"NUL cannot forge a placeholder", "\x000\x00 <https://x.example|a>", "\uFFFD0\uFFFD " + `<a href="https://x.example" target="_blank" rel="noopener noreferrer">a</a>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.mrkdwnHTML(tt.in); got != tt.want {
				t.Errorf("mrkdwnHTML(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestContentHTML(t *testing.T) {
	n := names{users: map[string]string{}, channels: map[string]string{}}
	tests := []struct {
		name, text, blocks string
		edited             bool
		want               string
	}{
		{"text only", "hi <b>", "", false, `<div class="text">hi &lt;b&gt;</div>`},
		{"edited text", "hi", "", true, `<div class="text">hi<span class="edited">(edited)</span></div>`},
		{"header is plain", "x", `[{"type":"header","text":{"type":"plain_text","text":"*a* <i>"}}]`, false,
			`<div class="header">*a* &lt;i&gt;</div>`},
		{"fields and accessory", "x", `[{"type":"section","fields":[{"type":"mrkdwn","text":"*A*"},{"type":"plain_text","text":"*B*"}],"accessory":{"type":"button","text":{"type":"plain_text","text":"Open"}}}]`, false,
			`<div class="section"><div class="section-body"><div class="fields"><div class="field text"><b>A</b></div><div class="field text">*B*</div></div></div><div class="accessory"><button type="button" class="btn">Open</button></div></div>`},
		{"context, divider, image", "x", `[{"type":"context","elements":[{"type":"image","image_url":"https://x","alt_text":"<a>"},{"type":"mrkdwn","text":"_small_"}]},{"type":"divider"},{"type":"image","image_url":"https://x","alt_text":"graph <x>"}]`, false,
			`<div class="context"><span class="ctx-img">🖼 &lt;a&gt;</span><span class="ctx"><i>small</i></span></div><hr class="divider"><div class="image">🖼 <span class="alt">graph &lt;x&gt;</span></div>`},
		{"buttons by style", "x", `[{"type":"actions","elements":[{"type":"button","style":"primary","text":{"type":"plain_text","text":"Approve"}},{"type":"button","style":"danger","text":{"type":"plain_text","text":"<Reject>"}},{"type":"button","style":"bogus\" onclick=\"x","text":{"type":"plain_text","text":"Other"}},{"type":"static_select","placeholder":{"type":"plain_text","text":"Pick"}}]}]`, false,
			`<div class="actions"><button type="button" class="btn btn-primary">Approve</button><button type="button" class="btn btn-danger">&lt;Reject&gt;</button><button type="button" class="btn">Other</button><button type="button" class="btn btn-select">Pick ▾</button></div>`},
		{"edited mark ends the last section's text", "x", `[{"type":"divider"},{"type":"section","text":{"type":"mrkdwn","text":"done"}}]`, true,
			`<hr class="divider"><div class="section"><div class="section-body"><div class="text">done<span class="edited">(edited)</span></div></div></div>`},
		{"edited mark ends a last context", "x", `[{"type":"context","elements":[{"type":"mrkdwn","text":"seen 3 times"}]}]`, true,
			`<div class="context"><span class="ctx">seen 3 times</span><span class="edited">(edited)</span></div>`},
		{"edited mark after other blocks", "x", `[{"type":"divider"}]`, true, `<hr class="divider"><span class="edited">(edited)</span>`},
		{"unknown block type is escaped", "x", `[{"type":"<img src=x onerror=alert(1)>"}]`, false, `<div class="unknown">[&lt;img src=x onerror=alert(1)&gt;]</div>`},
		{"undecodable blocks fall back to text", "fallback", `{"not":"a list"}`, false, `<div class="text">fallback</div>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.contentHTML(tt.text, json.RawMessage(tt.blocks), tt.edited); got != tt.want {
				t.Errorf("contentHTML\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
