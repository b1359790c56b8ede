package graph

// MarshalText encodes the cell by name (for JSON configs).
func (c Cell) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText decodes a cell name.
func (c *Cell) UnmarshalText(text []byte) (err error) {
	*c, err = ParseCell(string(text))
	return err
}

// MarshalText encodes the merge mode by name.
func (m Merge) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes a merge mode name.
func (m *Merge) UnmarshalText(text []byte) (err error) {
	*m, err = ParseMerge(string(text))
	return err
}

// MarshalText encodes the pooling mode by name.
func (p Pooling) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText decodes a pooling mode name.
func (p *Pooling) UnmarshalText(text []byte) (err error) {
	*p, err = ParsePooling(string(text))
	return err
}
