package digest

import (
	"fmt"
	"math"
)

// Sig3 prints a value with about three significant digits, plainly (no
// exponent): the one number format of the HTML and Markdown renderers.
func Sig3(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}
