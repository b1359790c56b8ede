package datasets_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gornn/gornn/datasets"
)

func ExampleNewTokenizer() {
	tok, err := datasets.NewTokenizer("basic_english")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", tok.Tokenize(`Oil prices rose (again), didn't they? "Yes."<br />Fine: done!`))
	// Output:
	// ["oil" "prices" "rose" "(" "again" ")" "," "didn" "'" "t" "they" "?" "yes" "." "fine" "done" "!"]
}

func ExampleVocabFromTokens() {
	rows := [][]string{{"the", "cat", "sat"}, {"the", "dog", "sat"}, {"a", "cat"}}
	vocab, err := datasets.VocabFromTokens(rows, datasets.VocabOptions{MaxSize: 5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(vocab.Tokens())
	ids := vocab.Encode([]string{"the", "cat", "ran"})
	fmt.Println(ids, vocab.Decode(ids))
	// Output:
	// [<pad> <unk> cat sat the]
	// [4 2 1] [the cat <unk>]
}

func ExampleLoad() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "reviews.csv")
	content := "label,text\npos,\"Loved it, really.\"\nneg,Dull.\npos,\"A \"\"must\"\" see\nfor all.\"\nmaybe,\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}

	_, err = datasets.Load(path, datasets.LoadOptions{})
	fmt.Println(filepath.Base(err.Error()))

	ds, err := datasets.Load(path, datasets.LoadOptions{Lenient: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.Classes)
	for _, ex := range ds.Examples {
		fmt.Printf("line %d, %s: %q\n", ex.Line, ds.Classes[ex.Label], ex.Text)
	}
	fmt.Printf("skipped: %+v\n", ds.Skipped)
	// Output:
	// reviews.csv:6: field "text": empty text
	// [neg pos]
	// line 2, pos: "Loved it, really."
	// line 3, neg: "Dull."
	// line 4, pos: "A \"must\" see\nfor all."
	// skipped: [{Line:6 Reason:field "text": empty text}]
}

func ExampleNewBatcher() {
	enc := &datasets.Encoded{
		IDs:    [][]int{{5, 6, 7}, {8}, {9, 10}, {11, 12, 13, 14}, {15}},
		Labels: []int{0, 1, 1, 0, 1},
	}
	batcher, err := datasets.NewBatcher(enc, datasets.BatcherOptions{BatchSize: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(batcher.NumBatches(), "batches")
	for it := batcher.Epoch(0); it.Next(); {
		batch := it.Batch()
		fmt.Printf("B=%d T=%d ids=%v lengths=%v labels=%v\n", batch.Size, batch.Steps, batch.IDs, batch.Lengths, batch.Labels)
	}
	fmt.Printf("padding %.2f\n", batcher.PaddingRatio(0))
	// Output:
	// 3 batches
	// B=2 T=3 ids=[5 6 7 8 0 0] lengths=[3 1] labels=[0 1]
	// B=2 T=4 ids=[9 10 0 0 11 12 13 14] lengths=[2 4] labels=[1 0]
	// B=1 T=1 ids=[15] lengths=[1] labels=[1]
	// padding 0.27
}

func ExamplePadBatch() {
	batch, err := datasets.PadBatch([][]int{{4, 5, 6}, {7}}, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(batch.Row(0), batch.Row(1), batch.Lengths)
	// Output:
	// [4 5 6] [7 0 0] [3 1]
}

// Example_pipeline runs the whole pipeline on the built-in task.
func Example_pipeline() {
	ds := datasets.Builtin(1000, 1)
	train, val, err := datasets.Split(ds, 0.2, 1)
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := datasets.NewTokenizer("basic_english")
	vocab, err := datasets.BuildVocab(train, tok, datasets.VocabOptions{})
	if err != nil {
		log.Fatal(err)
	}
	enc, err := datasets.Encode(train, tok, vocab, datasets.EncodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	batcher, err := datasets.NewBatcher(enc, datasets.BatcherOptions{BatchSize: 32, Shuffle: true, Bucket: true, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(train.Examples), "train,", len(val.Examples), "validation,", train.ClassCounts(), val.ClassCounts())
	fmt.Println(batcher.NumBatches(), "batches an epoch")
	// Output:
	// 800 train, 200 validation, [400 400] [100 100]
	// 25 batches an epoch
}
