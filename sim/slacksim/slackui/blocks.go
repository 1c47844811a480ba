package slackui

import (
	"encoding/json"
	"html"
	"strings"
)

// block is the union of the Block Kit block fields the page draws.
type block struct {
	Type      string    `json:"type"`
	Text      *textObj  `json:"text"`
	Fields    []textObj `json:"fields"`
	Elements  []element `json:"elements"`
	Accessory *element  `json:"accessory"`
	AltText   string    `json:"alt_text"`
	Title     *textObj  `json:"title"`
	Label     *textObj  `json:"label"`
}

type textObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// element is an interactive element, an image element or (in a context
// block) a text object, whose "text" is a string rather than an object.
type element struct {
	Type        string          `json:"type"`
	RawText     json.RawMessage `json:"text"`
	Style       string          `json:"style"`
	URL         string          `json:"url"`
	AltText     string          `json:"alt_text"`
	Placeholder *textObj        `json:"placeholder"`
}

// text returns an element's text: a text object's string, or a button's
// label object.
func (e element) text() textObj {
	if len(e.RawText) == 0 {
		return textObj{}
	}
	if e.RawText[0] == '"' {
		var s string
		_ = json.Unmarshal(e.RawText, &s) // a string is always decodable
		return textObj{Type: e.Type, Text: s}
	}
	var t textObj
	if json.Unmarshal(e.RawText, &t) != nil {
		return textObj{}
	}
	return t
}

// textHTML renders a text object by its type.
func (n names) textHTML(t textObj) string {
	if t.Type == "plain_text" {
		return plainHTML(t.Text)
	}
	return n.mrkdwnHTML(t.Text)
}

// edited is the mark Slack puts after an edited message's text.
const edited = `<span class="edited">(edited)</span>`

// contentHTML renders a message body: its blocks when it has any (Slack
// then shows the text only in notifications), else its text as mrkdwn.
// An edited message ends in "(edited)", on the last line of text when the
// last block is text, as Slack places it.
func (n names) contentHTML(text string, raw json.RawMessage, isEdited bool) string {
	mark := ""
	if isEdited {
		mark = edited
	}
	var blocks []block
	if len(raw) == 0 || json.Unmarshal(raw, &blocks) != nil || len(blocks) == 0 {
		return `<div class="text">` + n.mrkdwnHTML(text) + mark + `</div>`
	}
	var b strings.Builder
	for i, bl := range blocks {
		if i == len(blocks)-1 && (bl.Type == "section" && bl.Text != nil && len(bl.Fields) == 0 || bl.Type == "context") {
			n.blockHTML(&b, bl, mark)
			mark = ""
			continue
		}
		n.blockHTML(&b, bl, "")
	}
	b.WriteString(mark)
	return b.String()
}

// blockHTML writes one block; mark ends a section's text.
func (n names) blockHTML(b *strings.Builder, bl block, mark string) {
	switch bl.Type {
	case "header":
		if bl.Text != nil {
			b.WriteString(`<div class="header">` + plainHTML(bl.Text.Text) + `</div>`)
		}
	case "section":
		b.WriteString(`<div class="section"><div class="section-body">`)
		if bl.Text != nil {
			b.WriteString(`<div class="text">` + n.textHTML(*bl.Text) + mark + `</div>`)
		}
		if len(bl.Fields) > 0 {
			b.WriteString(`<div class="fields">`)
			for _, f := range bl.Fields {
				b.WriteString(`<div class="field text">` + n.textHTML(f) + `</div>`)
			}
			b.WriteString(`</div>`)
		}
		b.WriteString(`</div>`)
		if bl.Accessory != nil {
			b.WriteString(`<div class="accessory">` + n.elementHTML(*bl.Accessory) + `</div>`)
		}
		b.WriteString(`</div>`)
	case "context":
		b.WriteString(`<div class="context">`)
		for _, e := range bl.Elements {
			if e.Type == "image" {
				b.WriteString(n.elementHTML(e))
				continue
			}
			b.WriteString(`<span class="ctx">` + n.textHTML(e.text()) + `</span>`)
		}
		b.WriteString(mark + `</div>`)
	case "actions":
		b.WriteString(`<div class="actions">`)
		for _, e := range bl.Elements {
			b.WriteString(n.elementHTML(e))
		}
		b.WriteString(`</div>`)
	case "divider":
		b.WriteString(`<hr class="divider">`)
	case "image":
		b.WriteString(`<div class="image">🖼 `)
		if bl.Title != nil {
			b.WriteString(`<b>` + plainHTML(bl.Title.Text) + `</b> `)
		}
		b.WriteString(`<span class="alt">` + html.EscapeString(clean(bl.AltText)) + `</span></div>`)
	case "input":
		b.WriteString(`<div class="input">`)
		if bl.Label != nil {
			b.WriteString(`<label>` + plainHTML(bl.Label.Text) + `</label>`)
		}
		b.WriteString(`<div class="input-box"></div></div>`)
	default:
		b.WriteString(`<div class="unknown">[` + html.EscapeString(clean(bl.Type)) + `]</div>`)
	}
}

// elementHTML renders an interactive element as a look-alike that does
// nothing: the page shows what people see; clicking is the scenarios'
// (or slacksim's ClickButton's) job.
func (n names) elementHTML(e element) string {
	switch e.Type {
	case "button":
		class := "btn"
		if e.Style == "primary" || e.Style == "danger" {
			class += " btn-" + e.Style
		}
		return `<button type="button" class="` + class + `">` + plainHTML(e.text().Text) + `</button>`
	case "image":
		// An image is drawn as its alt text: the page loads nothing from
		// elsewhere, and the alt text is what the image says.
		return `<span class="ctx-img">🖼 ` + html.EscapeString(clean(e.AltText)) + `</span>`
	case "overflow":
		return `<button type="button" class="btn btn-overflow">⋯</button>`
	}
	label := "[" + clean(e.Type) + "]"
	if e.Placeholder != nil {
		label = e.Placeholder.Text
	}
	return `<button type="button" class="btn btn-select">` + plainHTML(label) + ` ▾</button>`
}
