package report

import (
	"html/template"
	"io"
)

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"svg": func(b []byte) template.HTML { return template.HTML(b) }, // built by Diagram, every text escaped
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Threat model: {{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}th,td{border:1px solid #ccd;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#eef1f5}.num{text-align:right}.critical{background:#f8b4b4}.high{background:#fcd9a8}.medium{background:#fdf1b0}.low{background:#d6e6fb}
.verdict{font-size:1.4rem;font-weight:bold}.blocked{color:#b00}.pass{color:#070}.diagram{overflow:auto;border:1px solid #ccd;padding:.5rem}
.redline{font-weight:bold;color:#b00}ul.check{list-style:none;padding-left:0}code{font-size:.85rem}
</style></head><body>
<h1>Threat model: {{.Title}}</h1>
<table><tr><th>Product</th><td>{{.Product}}</td></tr><tr><th>Release</th><td>{{.Release}}</td></tr>
<tr><th>Owner</th><td>{{.Owner}}</td></tr><tr><th>Standard</th><td>{{.Standard}}</td></tr><tr><th>Model hash</th><td><code>{{.Hash}}</code></td></tr></table>
<p class="verdict {{if .Blocked}}blocked">BLOCKED{{else}}pass">PASS{{end}}</p>
<ul>{{range .Reasons}}<li>{{.}}</li>{{end}}</ul>
<p>{{.Total}} open risks: {{index .Counts 0}} critical, {{index .Counts 1}} high, {{index .Counts 2}} medium, {{index .Counts 3}} low; {{len .RedLines}} red-line; {{len .Excepted}} excepted.</p>
<h2>Data-flow diagram</h2>
<div class="diagram">{{svg .SVG}}</div>
<p>Zones are columns ordered by trust; components are coloured by their worst open risk; red arrows are interfaces with an open risk.</p>
<h2>Risks by layer and severity</h2>
<table><tr><th>Layer</th><th>Critical</th><th>High</th><th>Medium</th><th>Low</th><th>Total</th></tr>
{{range .Layers}}<tr><td>{{.Layer}}</td><td class="num">{{.Critical}}</td><td class="num">{{.High}}</td><td class="num">{{.Medium}}</td><td class="num">{{.Low}}</td><td class="num">{{.Total}}</td></tr>
{{end}}<tr><th>all</th><th class="num">{{index .Counts 0}}</th><th class="num">{{index .Counts 1}}</th><th class="num">{{index .Counts 2}}</th><th class="num">{{index .Counts 3}}</th><th class="num">{{.Total}}</th></tr></table>
{{if .RedLines}}<h2>Red lines (block approval, cannot be excepted)</h2>
<table><tr><th>Rule</th><th>Element</th><th>Finding</th><th>Where</th></tr>
{{range .RedLines}}<tr class="critical"><td>{{.Rule}} {{.Title}}</td><td>{{.Element}}</td><td>{{.Description}}</td><td>{{.Where}}</td></tr>
{{end}}</table>{{end}}
<h2>Risks</h2>
{{range .Layers}}{{if .Items}}<h3>{{.Layer}}</h3>
<table><tr><th>Severity</th><th>Rule</th><th>STRIDE</th><th>CWE</th><th>Element</th><th>Finding</th><th>Mitigation</th><th>Where</th></tr>
{{range .Items}}<tr><td class="{{.Severity}}">{{.Severity}}{{if .RedLine}} <span class="redline">red line</span>{{end}}</td><td>{{.Rule}} {{.Title}}</td><td>{{.STRIDE}}</td><td>{{.CWE}}</td><td>{{.Element}}</td><td>{{.Description}}</td><td>{{.Mitigation}}</td><td>{{.Where}}</td></tr>
{{end}}</table>{{end}}{{end}}
{{if .Excepted}}<h2>Excepted risks</h2>
<table><tr><th>Rule</th><th>Element</th><th>Owner</th><th>Expires</th><th>Reason</th></tr>
{{range .Excepted}}<tr><td>{{.Rule}} {{.Title}}</td><td>{{.Element}}</td><td>{{.Owner}}</td><td>{{.Expires}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{end}}
<h2>Checklist</h2>
<p>{{len .Checklist}} rules: {{.Passed}} pass, {{.Open}} open, {{.ExceptedRules}} excepted.</p>
<ul class="check">{{range .Checklist}}<li>{{if eq .Status "pass"}}&#9745;{{else if eq .Status "excepted"}}&#9745; (excepted){{else}}&#9744;{{end}} <code>{{.Rule}}</code> {{.Title}} ({{.Layer}}, {{.Severity}}){{if .RedLine}} <span class="redline">red line</span>{{end}}{{if .Open}} — {{.Open}} open{{end}}</li>
{{end}}</ul>
<h2>Components</h2>
<table><tr><th>Component</th><th>Type</th><th>Zone</th><th>Runtime</th><th>Exposure</th><th>Highest data</th><th>Worst risk</th></tr>
{{range .Components}}<tr><td>{{.ID}}</td><td>{{.Type}}</td><td>{{.Zone}}</td><td>{{.Runtime}}</td><td>{{.Exposure}}</td><td>{{.Data}}</td><td class="{{.Worst}}">{{.Worst}}</td></tr>
{{end}}</table>
<h2>Interfaces</h2>
<table><tr><th>Interface</th><th>From</th><th>To</th><th>Protocol</th><th>TLS</th><th>Authentication</th><th>Authorization</th><th>Data</th><th>Zones crossed</th></tr>
{{range .Interfaces}}<tr><td>{{.ID}}</td><td>{{.From}}</td><td>{{.To}}</td><td>{{.Protocol}}</td><td>{{.TLS}}</td><td>{{.Authn}}</td><td>{{.Authz}}</td><td>{{.Data}}</td><td>{{.Crosses}}</td></tr>
{{end}}</table>
{{if .Warnings}}<h2>Notes</h2><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

func writeHTML(w io.Writer, d *document) error { return page.Execute(w, d) }
