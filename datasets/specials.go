package datasets

// The tokens that begin and end a sequence: a decoder's first input and
// the end of its output; a language model's document boundaries (the input
// before a document's first token, the target after its last: see
// EncodeDocuments and EncodeStream).
const (
	BOSToken = "<bos>"
	EOSToken = "<eos>"
)
