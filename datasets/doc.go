// Package datasets turns labelled text files into padded batches of token
// ids for the recurrent classifiers of gornn. It is plain Go: it does not
// import Gorgonia, and its output is ordinary slices.
//
// The data flows one way:
//
//	Load / Builtin      -> *Dataset   texts with class indices, and where each came from
//	Split, Slice        -> *Dataset   stratified seeded split, or a fixed range of rows
//	NewTokenizer        -> Tokenizer  "basic_english" (torchtext's) or "char"
//	BuildVocab          -> *Vocab     <pad>=0, <unk>=1, then by frequency; Save/LoadVocab as vocab.txt
//	Encode              -> *Encoded   [N][len_i] token ids and [N] labels
//	NewBatcher, Epoch   -> Batch      [B*T] ids padded with 0, [B] lengths and labels
//
// # Formats
//
// Load reads AG News (the original header-less CSV with every field quoted,
// and the header form label,title,description), generic CSV and TSV with a
// label column and text columns, JSON Lines with a label and text keys, and
// a folder per class of .txt files. Files may start with a UTF-8 byte order
// mark and use CRLF line ends; CSV fields may be quoted, with commas,
// doubled quotes and line breaks inside, and Example.Line stays the line
// where each record starts.
//
// Labels: AG News labels 1..4 are the classes World, Sports, Business and
// Sci/Tech (indices 0..3). Elsewhere, when LoadOptions.Classes is not given,
// integer labels make classes named by the integers in numeric order (1..4
// gives indices 0..3, 0..1 gives 0..1), and other labels make classes named
// by the labels in byte order.
//
// # Tagging data
//
// LoadTagged reads sentences with a tag per token: CoNLL column files
// (tokens and tags by column index, a blank line between sentences,
// "-DOCSTART-" lines skipped) and JSON Lines of {"tokens": [...], "tags":
// [...]}. Tokens are taken as given. PrepareTagged builds the word
// vocabulary, the TagSet and, for character features, a character
// alphabet, and encodes each sentence's tag ids as per-token targets
// (Encoded.Targets) and its tokens' characters (Encoded.Chars). Without a
// file it prepares the built-in truecasing task (TruecaseAGNews,
// BuiltinTruecasing): lowercased text whose every token is tagged lower,
// Title, UPPER or mixed. ReadVectors reads pretrained word vectors
// (GloVe, word2vec, fastText text forms) for a vocabulary.
//
// # Bad input
//
// Nothing is dropped silently. A malformed row is an error naming the file,
// line and field:
//
//	data/train.csv:17: field "label": "7" is not a class (want 1..4)
//
// With LoadOptions.Lenient such rows are skipped instead and listed in
// Dataset.Skipped (Dataset.Describe names the file and line, or the file for
// the dir format). A file without a single usable row is an error, and so
// is a class folder without one, lenient or not; a dataset with fewer than
// two classes is refused by Dataset.CheckTrainable, which training code
// should call. Encode treats texts that tokenize to nothing the same way,
// with EncodeOptions.Lenient. Prepare matches a separate validation file's
// labels to the training classes by name: it may lack classes, and a label
// training never saw is a malformed row.
//
// # Determinism
//
// Split, Builtin and the Batcher draw from math/rand/v2's PCG generator
// seeded by the caller: the same seed (and epoch) gives the same result, bit
// for bit, on every platform.
//
// # Real data
//
// AGNewsDir finds the project's shared copy of the AG News test split, and
// DownloadAGNews fetches the original files with a checksum check.
package datasets
