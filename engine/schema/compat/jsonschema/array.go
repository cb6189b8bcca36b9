package jsonschema

import (
	"math/big"
)

func openArray(n *node) bool { return n.addItems == nil && n.permitsAddItems }

// compareArray compares tuple items by the content model, then the other array keywords.
func compareArray(c *ctx, o, u *node) {
	for i := 0; i < max(len(o.items), len(u.items)); i++ {
		c.push("items/" + itoa(i))
		switch {
		case i >= len(u.items):
			ov := o.items[i]
			if openArray(u) {
				c.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
			} else if u.addItems != nil {
				sc := c.sub()
				compareLoc(sc, &loc{o.doc, ov}, u.addItems)
				c.merge(sc)
				if sc.ok() {
					c.add("ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
				} else {
					c.add("ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
				}
			} else if b, isBool := ov.(bool); isBool && !b {
				c.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
			} else {
				c.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")
			}
		case i >= len(o.items):
			uv := u.items[i]
			if openArray(o) {
				if build(loc{u.doc, uv}).kind == kEmpty {
					c.add("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
				} else {
					c.add("ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
				}
			} else if o.addItems != nil {
				sc := c.sub()
				compareLoc(sc, o.addItems, &loc{u.doc, uv})
				c.merge(sc)
				if sc.ok() {
					c.add("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
				} else {
					c.add("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
				}
			} else {
				c.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")
			}
		default:
			compareLoc(c, &loc{o.doc, o.items[i]}, &loc{u.doc, u.items[i]})
		}
		c.pop()
	}

	if o.permitsAddItems != u.permitsAddItems {
		if o.permitsAddItems {
			c.addAt("additionalItems", "ADDITIONAL_ITEMS_REMOVED")
		} else {
			c.addAt("additionalItems", "ADDITIONAL_ITEMS_ADDED")
		}
	} else {
		switch {
		case o.addItems == nil && u.addItems == nil:
		case o.addItems == nil:
			c.addAt("additionalItems", "ADDITIONAL_ITEMS_NARROWED")
		case u.addItems == nil:
			c.addAt("additionalItems", "ADDITIONAL_ITEMS_EXTENDED")
		default:
			c.push("additionalItems")
			compareLoc(c, o.addItems, u.addItems)
			c.pop()
		}
	}
	if o.allItems != nil || u.allItems != nil {
		c.push("items")
		compareLoc(c, o.allItems, u.allItems)
		c.pop()
	}
	bound(c, "maxItems", "MAX_ITEMS", o.maxItems, u.maxItems)
	bound(c, "minItems", "MIN_ITEMS", o.minItems, u.minItems)
	if o.unique != u.unique {
		if o.unique {
			c.addAt("uniqueItems", "UNIQUE_ITEMS_REMOVED")
		} else {
			c.addAt("uniqueItems", "UNIQUE_ITEMS_ADDED")
		}
	}
	if o.contains != nil || u.contains != nil {
		c.push("contains")
		compareLoc(c, o.contains, u.contains)
		c.pop()
	}
	bound(c, "minContains", "MIN_CONTAINS", o.minContains, u.minContains)
	bound(c, "maxContains", "MAX_CONTAINS", o.maxContains, u.maxContains)
}

func itoa(i int) string {
	return big.NewInt(int64(i)).String()
}
