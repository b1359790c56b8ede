package datasets

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// Format names a kind of dataset file.
type Format string

// The formats Load reads.
const (
	FormatAuto   Format = "auto"   // choose from the path, see Load
	FormatAGNews Format = "agnews" // AG News CSV, with or without its header
	FormatCSV    Format = "csv"    // comma-separated values, RFC 4180 quoting
	FormatTSV    Format = "tsv"    // tab-separated values, no quoting
	FormatJSONL  Format = "jsonl"  // one JSON object a line
	FormatDir    Format = "dir"    // a folder per class of .txt files, one example a file
)

// DefaultMaxLineBytes is the default LoadOptions.MaxLineBytes: 1 MiB.
const DefaultMaxLineBytes = 1 << 20

// LoadOptions says how Load reads a dataset. The zero value reads a file of
// the detected format with columns "label" and "text", strictly.
type LoadOptions struct {
	// Format of the data; "" means FormatAuto.
	Format Format
	// LabelCol is the label's column (csv, tsv: header name, or 0-based
	// index) or key (jsonl). Default "label".
	LabelCol string
	// TextCols are the text columns or keys; their values are joined with
	// one space. Default ["text"].
	TextCols []string
	// Classes fixes the classes, in index order. For csv, tsv and jsonl a
	// label must equal one of them; for dir they name the folders to read.
	// Default: from the labels found (see the package documentation). AG
	// News always has its own four classes.
	Classes []string
	// NoHeader says that a csv or tsv file has no header row; columns must
	// then be given by index. Default false: the first row is the header.
	NoHeader bool
	// TitlesOnly makes an AG News example's text its title alone. Default
	// false: title, a space, and description.
	TitlesOnly bool
	// DescriptionsOnly makes an AG News example's text its description
	// alone (a language model's documents, say). Default false. It
	// excludes TitlesOnly.
	DescriptionsOnly bool
	// Lenient skips malformed rows, listing them in Dataset.Skipped, instead
	// of failing on the first. Default false.
	Lenient bool
	// MaxLineBytes is the longest line accepted, in bytes without its line
	// break (a file, for dir); longer ones are malformed rows and are never
	// held in memory whole. Default DefaultMaxLineBytes.
	MaxLineBytes int
}

// withDefaults checks o and fills in its defaults.
func (o LoadOptions) withDefaults() (LoadOptions, error) {
	if o.Format == "" {
		o.Format = FormatAuto
	}
	if o.LabelCol == "" {
		o.LabelCol = "label"
	}
	if len(o.TextCols) == 0 {
		o.TextCols = []string{"text"}
	}
	if o.MaxLineBytes == 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.TitlesOnly && o.DescriptionsOnly {
		return o, errors.New("TitlesOnly and DescriptionsOnly exclude each other")
	}
	if o.MaxLineBytes < 0 {
		return o, errors.Errorf("MaxLineBytes is %d, want > 0 (or 0 for the default)", o.MaxLineBytes)
	}
	for _, col := range o.TextCols {
		if strings.TrimSpace(col) == "" {
			return o, errors.New("TextCols holds an empty column name")
		}
	}
	seen := make(map[string]bool, len(o.Classes))
	for _, class := range o.Classes {
		if class == "" || seen[class] {
			return o, errors.Errorf("Classes must be distinct and not empty, got %q", o.Classes)
		}
		seen[class] = true
	}
	return o, nil
}

// Load reads the labelled texts at path. The format is opts.Format; with
// FormatAuto a directory is dir, a .jsonl or .json file jsonl, a .tsv file
// tsv, and a .csv file agnews when it looks like AG News (first row the
// header label,title,description, or three fields with an integer 1..4
// first) and no columns were chosen, else csv.
//
// A malformed row (wrong field count, bad label, empty text, invalid UTF-8,
// a line over MaxLineBytes, broken quoting or JSON) fails the load with a
// *RowError naming the file, line and field, unless opts.Lenient is set:
// then it is left out and listed in Dataset.Skipped. Loading a file with no
// usable example is an error; see also Dataset.CheckTrainable.
func Load(path string, opts LoadOptions) (*Dataset, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, errors.Wrapf(err, "load %s", path)
	}
	format, err := detectFormat(path, opts)
	if err != nil {
		return nil, err
	}
	sink := &rowSink{lenient: opts.Lenient}
	var ds *Dataset
	switch format {
	case FormatAGNews:
		ds, err = loadAGNews(path, opts, sink)
	case FormatCSV:
		ds, err = loadDelimited(path, opts, false, sink)
	case FormatTSV:
		ds, err = loadDelimited(path, opts, true, sink)
	case FormatJSONL:
		ds, err = loadJSONL(path, opts, sink)
	case FormatDir:
		ds, err = loadDir(path, opts, sink)
	default:
		return nil, errors.Errorf("load %s: unknown format %q (want auto, agnews, csv, tsv, jsonl or dir)", path, format)
	}
	if err != nil {
		return nil, err
	}
	ds.Skipped = sink.report()
	if len(ds.Examples) == 0 {
		return nil, errors.Errorf("%s: no examples (%d rows skipped)", path, len(ds.Skipped))
	}
	return ds, nil
}

// detectFormat resolves FormatAuto for path.
func detectFormat(path string, opts LoadOptions) (Format, error) {
	if opts.Format != FormatAuto {
		return opts.Format, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", errors.Wrapf(err, "load %s", path)
	}
	if info.IsDir() {
		return FormatDir, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json":
		return FormatJSONL, nil
	case ".tsv":
		return FormatTSV, nil
	case ".csv":
		columnsChosen := opts.LabelCol != "label" || len(opts.TextCols) != 1 || opts.TextCols[0] != "text"
		if !columnsChosen && !opts.NoHeader {
			isAGNews, err := looksLikeAGNews(path, opts.MaxLineBytes)
			if err != nil {
				return "", err
			}
			if isAGNews {
				return FormatAGNews, nil
			}
		}
		return FormatCSV, nil
	}
	return "", errors.Errorf("load %s: cannot tell the format from the name; set LoadOptions.Format", path)
}

// openData opens a data file for a loader.
func openData(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrapf(err, "load %s", path)
	}
	return f, nil
}
