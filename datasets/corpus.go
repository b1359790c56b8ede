package datasets

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// FormatText is a plain text file, one document a line: a language
// model's corpus (LoadCorpus).
const FormatText Format = "text"

// Corpus is the unlabelled texts a language model learns from, one
// document each, with where each came from.
type Corpus struct {
	Texts   []string     // [N] the documents, as the loader cleaned them
	Lines   []int        // [N] 1-based line where each document starts
	Path    string       // the file loaded, or a name such as "builtin"
	Skipped []SkippedRow // rows that lenient loading left out, by line
}

// Len returns the number of documents, N.
func (c *Corpus) Len() int { return len(c.Texts) }

// CorpusOptions says how LoadCorpus reads a corpus. The zero value reads
// a file of the detected format strictly.
type CorpusOptions struct {
	// Format is FormatText (one document a line), FormatJSONL (one object
	// a line, the document in TextCols), FormatAGNews (the title and
	// description columns) or FormatAuto (default): jsonl for a .jsonl or
	// .json file, agnews for a .csv file that looks like AG News, text
	// otherwise.
	Format Format
	// TextCols are the JSONL keys of the text, joined with one space
	// (default ["text"]), or the AG News columns: ["title"],
	// ["description"] or both (default).
	TextCols []string
	// Lenient skips malformed rows, listing them in Corpus.Skipped,
	// instead of failing on the first. Default false.
	Lenient bool
	// MaxLineBytes is the longest line accepted, in bytes without its
	// line break. Default DefaultMaxLineBytes.
	MaxLineBytes int
}

// LoadCorpus reads the documents of a language model's corpus at path. In
// a text file every line that is not blank is a document (a whole file
// read as one stream is these documents one after the other, see
// EncodeStream); a line with invalid UTF-8 or over MaxLineBytes is a
// malformed row, an error naming the file and line unless opts.Lenient.
// A corpus without a document is an error.
func LoadCorpus(path string, opts CorpusOptions) (*Corpus, error) {
	if opts.Format == "" {
		opts.Format = FormatAuto
	}
	if opts.MaxLineBytes == 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.MaxLineBytes < 0 {
		return nil, errors.Errorf("load %s: MaxLineBytes is %d, want > 0 (or 0 for the default)", path, opts.MaxLineBytes)
	}
	format := opts.Format
	if format == FormatAuto {
		var err error
		if format, err = detectCorpusFormat(path, opts.MaxLineBytes); err != nil {
			return nil, err
		}
	}
	var c *Corpus
	var err error
	switch format {
	case FormatText, FormatJSONL:
		c, err = loadLines(path, format, opts)
	case FormatAGNews:
		c, err = loadAGNewsCorpus(path, opts)
	default:
		return nil, errors.Errorf("load %s: corpus format %q: want auto, text, jsonl or agnews", path, format)
	}
	if err != nil {
		return nil, err
	}
	if c.Len() == 0 {
		return nil, errors.Errorf("%s: empty corpus: no document (%d rows skipped)", path, len(c.Skipped))
	}
	return c, nil
}

// detectCorpusFormat resolves FormatAuto for a corpus at path.
func detectCorpusFormat(path string, maxLine int) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json":
		return FormatJSONL, nil
	case ".csv":
		isAGNews, err := looksLikeAGNews(path, maxLine)
		if err != nil || isAGNews {
			return FormatAGNews, err
		}
	}
	return FormatText, nil
}

// loadLines reads a text or JSONL corpus, one document a line.
func loadLines(path string, format Format, opts CorpusOptions) (*Corpus, error) {
	keys := opts.TextCols
	if len(keys) == 0 {
		keys = []string{"text"}
	}
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sink := &rowSink{lenient: opts.Lenient}
	c := &Corpus{Path: path}
	lines := newLineReader(f, opts.MaxLineBytes)
	for {
		line, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Wrapf(err, "read %s", path)
		}
		text, rowErr := "", (*RowError)(nil)
		switch raw := trimCR(line.text); {
		case line.overlong:
			rowErr = &RowError{Problem: overlongProblem(line.number, opts.MaxLineBytes)}
		case isBlank(raw):
			continue
		case format == FormatJSONL:
			text, rowErr = jsonDocument(raw, keys)
		case !utf8.Valid(raw):
			rowErr = &RowError{Problem: "invalid UTF-8"}
		default:
			text = string(raw)
		}
		if rowErr != nil {
			rowErr.Path, rowErr.Line = path, line.number
			if err := sink.reject(rowErr); err != nil {
				return nil, err
			}
			continue
		}
		c.Texts = append(c.Texts, text)
		c.Lines = append(c.Lines, line.number)
	}
	c.Skipped = sink.report()
	return c, nil
}

// jsonDocument returns the text fields keys of one JSONL line, an object.
func jsonDocument(line []byte, keys []string) (string, *RowError) {
	object, rowErr := jsonObject(line)
	if rowErr != nil {
		return "", rowErr
	}
	return jsonText(object, keys)
}

// loadAGNewsCorpus reads the title, description or both columns of AG
// News as documents.
func loadAGNewsCorpus(path string, opts CorpusOptions) (*Corpus, error) {
	load := LoadOptions{Format: FormatAGNews, Lenient: opts.Lenient, MaxLineBytes: opts.MaxLineBytes}
	switch strings.Join(opts.TextCols, ",") {
	case "", "title,description":
	case "title":
		load.TitlesOnly = true
	case "description":
		load.DescriptionsOnly = true
	default:
		return nil, errors.Errorf("load %s: AG News columns %q: want title, description or both", path, opts.TextCols)
	}
	ds, err := Load(path, load)
	if err != nil {
		return nil, err
	}
	return CorpusOf(ds), nil
}

// CorpusOf returns the texts of ds as a corpus, its labels dropped: AG
// News titles, or the built-in dataset's sentences.
func CorpusOf(ds *Dataset) *Corpus {
	c := &Corpus{Path: ds.Path, Skipped: ds.Skipped, Texts: make([]string, len(ds.Examples)), Lines: make([]int, len(ds.Examples))}
	for i, ex := range ds.Examples {
		c.Texts[i], c.Lines[i] = ex.Text, ex.Line
	}
	return c
}

// Rows returns the documents of c in the range r (all of them for the
// zero Rows), sharing c's storage.
func (c *Corpus) Rows(r Rows) (*Corpus, error) {
	if r == (Rows{}) {
		return c, nil
	}
	if r.To > c.Len() {
		return nil, errors.Errorf("datasets: %s has %d documents, rows %s asked", c.Path, c.Len(), r)
	}
	return &Corpus{Path: c.Path, Texts: c.Texts[r.From-1 : r.To : r.To], Lines: c.Lines[r.From-1 : r.To : r.To]}, nil
}

// Where names the source of document i for messages: "path:line".
func (c *Corpus) Where(i int) string {
	return fmt.Sprintf("%s:%d", c.Path, c.Lines[i])
}
