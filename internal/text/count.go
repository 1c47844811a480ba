// Package text holds small helpers for what ccm prints to people.
package text

import "strconv"

// Count writes n with the noun's singular or plural form: "1 failure",
// "2 failures", "0 failures". Both forms are given because English plurals
// are not all a trailing "s" ("1 category", "3 categories").
func Count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}
