package datasets

// The tokens that begin and end a sequence: a decoder's first input and
// the end of its output.
const (
	BOSToken = "<bos>"
	EOSToken = "<eos>"
)
