package faultdocs

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Row is one row of the table: the fault kinds and targets it is about,
// and the cells of the local and the kind column.
type Row struct {
	Head        string   // the first cell, as written
	Kinds       []string // `kill`, ... without the backquotes
	Targets     []string // the targets named after the kinds (none: server-proxy, the attacks' listener)
	Local, Kind string
}

var (
	rowRE    = regexp.MustCompile("(?m)^\\| (`[a-z]+`.*?) \\| (.*?) \\| (.*) \\|$")
	kindRE   = regexp.MustCompile("`([a-z]+)`")
	targetRE = regexp.MustCompile("`[a-z]+`,?|\\(.*\\)")
)

// Read returns the rows of the table in the reliability document at path.
func Read(path string) ([]Row, error) {
	doc, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := string(doc)
	i := strings.Index(text, "## On kind")
	if i < 0 {
		return nil, fmt.Errorf("%s: no section \"## On kind\"", path)
	}
	section := text[i:]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	var rows []Row
	for _, m := range rowRE.FindAllStringSubmatch(section, -1) {
		r := Row{Head: m[1], Local: m[2], Kind: m[3]}
		for _, k := range kindRE.FindAllStringSubmatch(m[1], -1) {
			r.Kinds = append(r.Kinds, k[1])
		}
		r.Targets = strings.Fields(strings.ReplaceAll(targetRE.ReplaceAllString(m[1], ""), ",", " "))
		if len(r.Targets) == 0 {
			r.Targets = []string{"server-proxy"}
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: the table under \"## On kind\" has no rows", path)
	}
	return rows, nil
}
