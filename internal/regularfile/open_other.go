//go:build !unix

package regularfile

// openFlags adds nothing where named pipes cannot block an open.
const openFlags = 0
