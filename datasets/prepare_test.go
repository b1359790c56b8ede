package datasets

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseRows(t *testing.T) {
	cases := []struct {
		in      string
		want    Rows
		wantErr bool
	}{
		{"", Rows{}, false},
		{"1:6000", Rows{1, 6000}, false},
		{"6001:7600", Rows{6001, 7600}, false},
		{"5:5", Rows{5, 5}, false},
		{"0:10", Rows{}, true},
		{"10:5", Rows{}, true},
		{"1-10", Rows{}, true},
		{"a:b", Rows{}, true},
	}
	for _, c := range cases {
		got, err := ParseRows(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseRows(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.wantErr)
		}
		if err == nil && got.String() != c.in {
			t.Errorf("Rows %v prints as %q, want %q", got, got.String(), c.in)
		}
	}
}

// TestPrepare checks each way of choosing the validation examples and that
// the vocabulary comes from the training examples only.
func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	data := write("data.csv", "label,text\npos,good film\nneg,bad film\npos,great plot\nneg,awful plot\npos,fine acting\nneg,poor acting\n")
	val := write("val.csv", "label,text\npos,brilliant\nneg,dreadful\n")
	other := write("other.csv", "label,text\nyes,x\nno,y\n")
	onlyPos := write("only_pos.csv", "label,text\npos,brilliant\npos,superb\n")
	unseen := write("unseen.csv", "label,text\npos,brilliant\nmeh,so so\nneg,dreadful\n")
	cases := []struct {
		name       string
		src        Source
		train, val int
		wantErr    string
	}{
		{"builtin with split", Source{BuiltinSize: 100}, 90, 10, ""},
		{"rows", Source{Path: data, TrainRows: Rows{1, 4}, ValRows: Rows{5, 6}}, 4, 2, ""},
		{"validation file", Source{Path: data, ValPath: val}, 6, 2, ""},
		{"no validation", Source{Path: data, ValSplit: -1}, 6, 0, ""},
		{"rows beyond the file", Source{Path: data, TrainRows: Rows{1, 9}}, 0, 0, "has 6 examples, rows 1:9 asked"},
		{"validation classes differ", Source{Path: data, ValPath: other}, 0, 0, `other.csv:2: label "yes" is not a class of the training data (neg, pos)`},
		{"validation file lacking a class", Source{Path: data, ValPath: onlyPos}, 6, 2, ""},
		{"validation label unseen in training", Source{Path: data, ValPath: unseen}, 0, 0, `unseen.csv:3: label "meh" is not a class`},
		{"unseen label skipped", Source{Path: data, ValPath: unseen, Load: LoadOptions{Lenient: true}}, 6, 2, ""},
		{"no training class at all, lenient", Source{Path: data, ValPath: other, Load: LoadOptions{Lenient: true}}, 0, 0, "other.csv: no examples of the training classes"},
		{"one class to train on", Source{Path: data, TrainRows: Rows{1, 1}, ValRows: Rows{2, 2}}, 0, 0, "class"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Prepare(c.src)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Train.Len() != c.train {
				t.Errorf("%d training rows, want %d", p.Train.Len(), c.train)
			}
			if got := 0; p.Val != nil {
				got = p.Val.Len()
				if got != c.val {
					t.Errorf("%d validation rows, want %d", got, c.val)
				}
			} else if c.val != 0 {
				t.Errorf("no validation rows, want %d", c.val)
			}
		})
	}
	p, err := Prepare(Source{Path: data, ValPath: val})
	if err != nil {
		t.Fatal(err)
	}
	if p.Vocab.ID("brilliant") != UnkID {
		t.Error("a validation-only word entered the vocabulary")
	}

	// Labels match by name, whatever classes the validation file lacks,
	// and a lenient load lists the rows of unseen labels by line.
	p, err = Prepare(Source{Path: data, ValPath: unseen, Load: LoadOptions{Lenient: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.ValSource.ClassCounts(), []int{1, 1}; !slices.Equal(got, want) || !slices.Equal(p.ValSource.Classes, []string{"neg", "pos"}) {
		t.Errorf("validation classes %q with counts %v, want [neg pos] with %v", p.ValSource.Classes, got, want)
	}
	if len(p.ValSource.Skipped) != 1 || p.ValSource.Describe(p.ValSource.Skipped[0]) != unseen+`:3: label "meh" is not a class of the training data (neg, pos)` {
		t.Errorf("skipped %+v", p.ValSource.Skipped)
	}
}

// TestPrepareMatchesBuildVocabAndEncode checks that Prepare, which
// tokenizes each training text once, gives the vocabulary and ids of
// BuildVocab followed by Encode.
func TestPrepareMatchesBuildVocabAndEncode(t *testing.T) {
	data := writeFile(t, t.TempDir(), "data.csv", "label,text\n"+
		"a,the cat <pad> the <unk> dog\nb,!?\nb,\";:\"\na,a b c d e f g\nb,the the dog cat x\na,g f e\n")
	for _, src := range []Source{
		{BuiltinSize: 300, Vocab: VocabOptions{MaxSize: 50}},
		{Path: data, ValSplit: -1, Load: LoadOptions{Lenient: true}, Vocab: VocabOptions{MaxSize: 8}},
		{Path: data, ValSplit: -1, Load: LoadOptions{Lenient: true}, Vocab: VocabOptions{MinFreq: 2}},
		{Path: data, ValSplit: -1, Load: LoadOptions{Lenient: true}, Tokenizer: CharTokenizer},
	} {
		p, err := Prepare(src)
		if err != nil {
			t.Fatal(err)
		}
		vocab, err := BuildVocab(p.TrainSource, p.Tokenizer, src.Vocab)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Vocab.Tokens(), vocab.Tokens()) {
			t.Errorf("%+v: vocabulary %q, want %q", src, p.Vocab.Tokens(), vocab.Tokens())
		}
		enc, err := Encode(p.TrainSource, p.Tokenizer, vocab, EncodeOptions{Lenient: src.Load.Lenient})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Train, enc) {
			t.Errorf("%+v: encoded\n%+v, want\n%+v", src, p.Train, enc)
		}
	}
}
