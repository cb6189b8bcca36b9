package jsonschema

// dedupe drops subschemas equal to an earlier one (Confluent collapses them into a set).
func dedupe(subs []*node) []*node {
	seen := make(map[string]bool, len(subs))
	out := make([]*node, 0, len(subs))
	for _, s := range subs {
		k := s.key()
		if !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// compareCombined compares allOf/anyOf/oneOf: the criterion, the number of distinct
// subschemas, then a matching of each original subschema to a compatible update one.
func compareCombined(c *ctx, o, u *node) {
	os, us := dedupe(o.subs), dedupe(u.subs)
	if o.criterion != u.criterion {
		t := "COMBINED_TYPE_CHANGED"
		switch {
		case u.criterion == "anyOf" || o.criterion == "allOf":
			t = "COMBINED_TYPE_EXTENDED"
		case u.criterion == "oneOf" && len(os) == 1:
			t = "COMBINED_TYPE_EXTENDED"
		case u.criterion == "allOf" && len(os) == 1 && len(us) == 1:
			t = "COMBINED_TYPE_EXTENDED"
		}
		c.add(t)
		if t == "COMBINED_TYPE_CHANGED" {
			return
		}
	}
	switch {
	case len(os) < len(us):
		if u.criterion == "allOf" {
			c.add("PRODUCT_TYPE_EXTENDED")
		} else {
			c.add("SUM_TYPE_EXTENDED")
		}
	case len(os) > len(us):
		if o.criterion == "allOf" {
			c.add("PRODUCT_TYPE_NARROWED")
		} else {
			c.add("SUM_TYPE_NARROWED")
		}
	}

	// Every compatible (original, update) pair is an edge; the subschemas must match.
	diffs := make([][]*ctx, len(os))
	for i, on := range os {
		diffs[i] = make([]*ctx, len(us))
		for j, un := range us {
			sc := c.sub()
			sc.push(o.criterion + "/" + itoa(i))
			compareNodes(sc, on, un)
			if sc.ok() {
				diffs[i][j] = sc
			}
		}
	}
	matchO, matched := maxMatching(diffs, len(us))
	if matched < min(len(os), len(us)) {
		c.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")
		return
	}
	for i, j := range matchO {
		if j >= 0 {
			c.merge(diffs[i][j])
		}
	}
}

// maxMatching finds a maximum matching in the bipartite graph whose edges are the non-nil
// cells of edges (rows: original subschemas, columns: update subschemas), preferring pairs
// without changes. It returns the column matched to each row (-1 for none) and the size.
func maxMatching(edges [][]*ctx, cols int) ([]int, int) {
	matchO := make([]int, len(edges))
	matchU := make([]int, cols)
	for i := range matchO {
		matchO[i] = -1
	}
	for j := range matchU {
		matchU[j] = -1
	}
	for i, row := range edges {
		for j, e := range row {
			if e != nil && len(e.changes) == 0 && matchU[j] < 0 && matchO[i] < 0 {
				matchO[i], matchU[j] = j, i
			}
		}
	}
	var augment func(i int, seen []bool) bool
	augment = func(i int, seen []bool) bool {
		for j, e := range edges[i] {
			if e == nil || seen[j] {
				continue
			}
			seen[j] = true
			if matchU[j] < 0 || augment(matchU[j], seen) {
				matchO[i], matchU[j] = j, i
				return true
			}
		}
		return false
	}
	for i := range edges {
		if matchO[i] < 0 {
			augment(i, make([]bool, cols))
		}
	}
	n := 0
	for _, j := range matchO {
		if j >= 0 {
			n++
		}
	}
	return matchO, n
}
