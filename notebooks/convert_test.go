package notebooks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// This file turns a gophernotes notebook into a Go program with the
// kernel's semantics, so that `go test` can run every notebook:
//
//   - each code cell is cut into its top-level statements and declarations
//     at the semicolons Go's scanner sees at nesting depth 0 (a piece that
//     does not parse alone, such as `if x := f(); x > 0 {...}`, is joined
//     with the next);
//   - imports are gathered into one import declaration, relative paths
//     ("../models", "./deps") mapped to this module's packages;
//   - func, method, type and const declarations go to package level;
//     everything else (var, :=, statements) goes into main, in cell order,
//     each variable it declares followed by `_ = name`, since the kernel
//     has no "declared and not used" for top-level variables;
//   - a cell whose last statement is an expression with a value shows it
//     as the kernel does: nothing when every value is nil, an image.Image
//     as a PNG (here its size), else the values printed with fmt.Sprint
//     and separated by spaces (so a cell ending in fmt.Println shows
//     "3 <nil>"); a value of a type declared in the notebook shows its
//     fields, because the kernel interprets its methods and fmt cannot see
//     them.
//
// A function declared in a cell becomes a package-level function, so it
// cannot see the variables of earlier cells; notebooks pass what their
// functions need as arguments. A statement that starts with a function
// literal is refused: the kernel parses it as a declaration and fails.
//
// Before it is built the program is type-checked with go/types, which
// decides which last expressions have a value and rejects what the kernel
// cannot run: type parameters, instantiations of generic functions or
// types (explicit or inferred), uses of generic or instantiated types of
// imported packages, and import "C".
//
// semantics_test.go holds cells with the outputs the kernel (gophernotes
// built on gomacro of 2026-09-01, Go 1.26) showed for them.

// kernelspec is the kernel every notebook must name.
var kernelspec = struct{ Name, DisplayName, Language string }{"gophernotes", "Go", "go"}

// notebook is the part of an .ipynb file the converter reads.
type notebook struct {
	Cells    []cell `json:"cells"`
	Metadata struct {
		Kernelspec *struct {
			Name        string `json:"name"`
			DisplayName string `json:"display_name"`
			Language    string `json:"language"`
		} `json:"kernelspec"`
		LanguageInfo *struct {
			Name string `json:"name"`
		} `json:"language_info"`
	} `json:"metadata"`
	NBFormat int `json:"nbformat"`
}

type cell struct {
	CellType       string       `json:"cell_type"`
	Source         source       `json:"source"`
	ExecutionCount *int         `json:"execution_count"`
	Outputs        []cellOutput `json:"outputs"`
}

type cellOutput struct {
	OutputType string `json:"output_type"`
	EName      string `json:"ename"` // of an error
	EValue     string `json:"evalue"`
}

// source is a cell's text, stored as one string or a list of lines.
type source string

func (s *source) UnmarshalJSON(data []byte) error {
	var lines []string
	if err := json.Unmarshal(data, &lines); err == nil {
		*s = source(strings.Join(lines, ""))
		return nil
	}
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		return err
	}
	*s = source(text)
	return nil
}

// readNotebook reads the notebook at path and checks its kernel metadata.
func readNotebook(path string) (*notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if nb.NBFormat != 4 {
		return nil, fmt.Errorf("%s: nbformat %d, want 4", path, nb.NBFormat)
	}
	ks := nb.Metadata.Kernelspec
	if ks == nil || ks.Name != kernelspec.Name || ks.DisplayName != kernelspec.DisplayName || ks.Language != kernelspec.Language {
		return nil, fmt.Errorf("%s: metadata.kernelspec is %+v, want name %q, display_name %q, language %q",
			path, ks, kernelspec.Name, kernelspec.DisplayName, kernelspec.Language)
	}
	if li := nb.Metadata.LanguageInfo; li == nil || li.Name != "go" {
		return nil, fmt.Errorf("%s: metadata.language_info.name is not \"go\"", path)
	}
	return &nb, nil
}

// piece is one top-level statement or declaration of a cell.
type piece struct {
	cell int    // 1-based index of the cell in the notebook
	line int    // 1-based line in the cell where the piece starts
	text string // the source
	kind pieceKind
	last bool // the last piece of its cell
}

type pieceKind int

const (
	importDecl  pieceKind = iota // import ...
	packageDecl                  // func, method, type or const declaration
	statement                    // anything else: runs in main
	funcLiteral                  // a statement starting with a function literal, which the kernel cannot parse
)

// cutCell cuts the source of cell number n into its top-level pieces: it
// cuts at every semicolon (written, or inserted at a line end) at nesting
// depth 0, then joins a piece with the next ones while it does not parse on
// its own (the semicolons of `if x := f(); x > 0 {`).
func cutCell(n int, src string) ([]piece, error) {
	fset := token.NewFileSet()
	file := fset.AddFile(fmt.Sprintf("cell %d", n), -1, len(src))
	var errs scanner.ErrorList
	var sc scanner.Scanner
	sc.Init(file, []byte(src), func(pos token.Position, msg string) { errs.Add(pos, msg) }, 0)

	type cut struct {
		start, end int           // offsets in src
		toks       []token.Token // the first tokens, to classify the piece
	}
	var cuts []cut
	cur := cut{start: -1}
	depth := 0
	for {
		pos, t, _ := sc.Scan()
		if t == token.EOF {
			if cur.start >= 0 {
				cur.end = len(src)
				cuts = append(cuts, cur)
			}
			break
		}
		switch t {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		case token.SEMICOLON:
			if depth == 0 {
				if cur.start >= 0 {
					cur.end = file.Offset(pos)
					cuts = append(cuts, cur)
				}
				cur = cut{start: -1}
				continue
			}
		}
		if cur.start < 0 {
			cur.start = file.Offset(pos)
		}
		if len(cur.toks) < 64 {
			cur.toks = append(cur.toks, t)
		}
	}
	if errs.Len() > 0 {
		return nil, errs.Err()
	}

	var pieces []piece
	for i := 0; i < len(cuts); i++ {
		p := piece{cell: n, line: file.Line(file.Pos(cuts[i].start)), kind: classify(cuts[i].toks)}
		var err error
		for j := i; j < len(cuts); j++ {
			p.text = strings.TrimSpace(src[cuts[i].start:cuts[j].end])
			if err = parsePiece(p); err == nil {
				i = j
				break
			}
		}
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, p)
	}
	if len(pieces) > 0 {
		pieces[len(pieces)-1].last = true
	}
	return pieces, nil
}

// classify tells a piece's kind from its first tokens.
func classify(toks []token.Token) pieceKind {
	switch toks[0] {
	case token.IMPORT:
		return importDecl
	case token.TYPE, token.CONST:
		return packageDecl
	case token.FUNC:
		if len(toks) < 2 || toks[1] != token.LPAREN {
			return packageDecl // func name(...)
		}
		// func (recv) name(...) is a method; func (...) {...}(...) a
		// function literal called.
		depth := 0
		kind := funcLiteral
		for i := 1; i < len(toks); i++ {
			switch toks[i] {
			case token.LPAREN:
				depth++
			case token.RPAREN:
				depth--
			}
			if depth == 0 {
				if i+1 < len(toks) && toks[i+1] == token.IDENT {
					kind = packageDecl
				}
				break
			}
		}
		return kind
	}
	return statement
}

// parsePiece parses a piece as what its kind says it is.
func parsePiece(p piece) error {
	if p.kind == importDecl || p.kind == packageDecl {
		_, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+p.text, 0)
		return err
	}
	_, err := parseStmt(p)
	return err
}

// program is a notebook turned into a Go main package.
type program struct {
	name     string           // the notebook's file name
	imports  []string         // import specs as written in the program, e.g. `_ "github.com/gornn/gornn/notebooks/deps"`
	decls    []piece          // package-level declarations
	stmts    []piece          // main's statements
	display  map[int]bool     // statements (index in stmts) whose value is displayed
	convert  map[int]string   // displayed statements converted to this type first
	declared map[int][]string // variables each statement declares
}

// module describes this module, to map the notebooks' relative imports.
type module struct {
	root string // folder of go.mod
	path string // module path
}

// newProgram reads the code cells of nb (a notebook in folder dir) into a
// program. Every last expression is displayed until check says otherwise.
func newProgram(name, dir string, nb *notebook, mod module) (*program, error) {
	p := &program{name: name, display: map[int]bool{}, convert: map[int]string{}, declared: map[int][]string{}}
	seen := map[string]bool{}
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		pieces, err := cutCell(i+1, string(c.Source))
		if err != nil {
			return nil, fmt.Errorf("%s: cell %d: %v", name, i+1, err)
		}
		for _, pc := range pieces {
			switch pc.kind {
			case importDecl:
				specs, err := p.importSpecs(pc, dir, mod)
				if err != nil {
					return nil, err
				}
				for _, s := range specs {
					if !seen[s] {
						seen[s] = true
						p.imports = append(p.imports, s)
					}
				}
			case packageDecl:
				p.decls = append(p.decls, pc)
			case funcLiteral:
				return nil, fmt.Errorf("%s: the kernel reads a statement that starts with func as a declaration; assign the function literal to a variable first", p.pos(pc))
			default:
				stmt, err := parseStmt(pc)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", name, err)
				}
				if _, ok := stmt.(*ast.ExprStmt); ok && pc.last {
					p.display[len(p.stmts)] = true
				}
				p.declared[len(p.stmts)] = declaredNames(stmt)
				p.stmts = append(p.stmts, pc)
			}
		}
	}
	return p, nil
}

// importSpecs parses an import declaration and maps its relative paths.
func (p *program) importSpecs(pc piece, dir string, mod module) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), p.pos(pc), "package p\n"+pc.text, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	var specs []string
	for _, s := range f.Imports {
		importPath, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			return nil, err
		}
		if importPath == "C" {
			return nil, fmt.Errorf("%s: import \"C\": the kernel has no cgo", p.pos(pc))
		}
		if strings.HasPrefix(importPath, "./") || strings.HasPrefix(importPath, "../") {
			rel, err := filepath.Rel(mod.root, filepath.Join(dir, filepath.FromSlash(importPath)))
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return nil, fmt.Errorf("%s: import %q is outside module %s", p.pos(pc), importPath, mod.path)
			}
			mapped := mod.path
			if rel != "." {
				mapped = path.Join(mod.path, filepath.ToSlash(rel))
			}
			importPath = mapped
		}
		spec := fmt.Sprintf("%q", importPath)
		if s.Name != nil {
			spec = s.Name.Name + " " + spec
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// pos names the start of a piece for messages and //line directives.
func (p *program) pos(pc piece) string {
	return fmt.Sprintf("%s:cell%d:%d", p.name, pc.cell, pc.line)
}

// parseStmt parses a statement piece.
func parseStmt(pc piece) (ast.Stmt, error) {
	src := "package p\nfunc _() {\n" + pc.text + "\n}\n"
	f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		return nil, fmt.Errorf("cell %d, line %d: %v", pc.cell, pc.line, err)
	}
	body := f.Decls[0].(*ast.FuncDecl).Body.List
	if len(body) != 1 {
		return nil, fmt.Errorf("cell %d, line %d: want one statement, found %d", pc.cell, pc.line, len(body))
	}
	return body[0], nil
}

// declaredNames returns the variables a top-level statement declares.
func declaredNames(s ast.Stmt) []string {
	var names []string
	add := func(id *ast.Ident) {
		if id.Name != "_" {
			names = append(names, id.Name)
		}
	}
	switch s := s.(type) {
	case *ast.AssignStmt:
		if s.Tok == token.DEFINE {
			for _, e := range s.Lhs {
				if id, ok := e.(*ast.Ident); ok {
					add(id)
				}
			}
		}
	case *ast.DeclStmt:
		if g, ok := s.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
			for _, spec := range g.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					add(id)
				}
			}
		}
	}
	return names
}

// Names of the program's own helpers; notebooks must not use them.
const (
	displayFunc  = "nbDisplay__"
	fmtAlias     = "nbfmt__"
	imageAlias   = "nbimage__"
	stringsAlias = "nbstrings__"
)

// source writes the program. The //line directives make compile errors
// and panics name the notebook, cell and line.
func (p *program) source() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated from %s by notebooks/convert_test.go. DO NOT EDIT.\n\npackage main\n\nimport (\n", p.name)
	for _, s := range p.imports {
		fmt.Fprintf(&b, "\t%s\n", s)
	}
	fmt.Fprintf(&b, "\t%s \"fmt\"\n\t%s \"image\"\n\t%s \"strings\"\n)\n\n", fmtAlias, imageAlias, stringsAlias)
	for _, d := range p.decls {
		fmt.Fprintf(&b, "//line %s\n%s\n\n", p.pos(d), d.text)
	}
	b.WriteString("func main() {\n")
	for i, s := range p.stmts {
		fmt.Fprintf(&b, "//line %s\n", p.pos(s))
		if p.display[i] {
			if t := p.convert[i]; t != "" {
				fmt.Fprintf(&b, "%s((%s)(%s))\n", displayFunc, t, s.text)
			} else {
				fmt.Fprintf(&b, "%s(%s)\n", displayFunc, s.text)
			}
		} else {
			fmt.Fprintf(&b, "%s\n", s.text)
		}
		for _, name := range p.declared[i] {
			fmt.Fprintf(&b, "_ = %s\n", name)
		}
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, `// %[1]s shows a cell's values as gophernotes does: nothing when all
// are nil, an image alone (the others nil) as a PNG (here: its size), else
// every value printed, separated by spaces.
func %[1]s(values ...any) {
	var img %[2]s.Image
	nils := 0
	for _, v := range values {
		if i, ok := v.(%[2]s.Image); ok {
			img = i
		} else if v == nil {
			nils++
		}
	}
	switch {
	case nils == len(values):
	case img != nil && nils == len(values)-1:
		%[3]s.Printf("[image/png %%dx%%d]\n", img.Bounds().Dx(), img.Bounds().Dy())
	default:
		shown := make([]string, len(values))
		for i, v := range values {
			shown[i] = %[3]s.Sprint(v)
		}
		%[3]s.Println(%[4]s.Join(shown, " "))
	}
}
`, displayFunc, imageAlias, fmtAlias, stringsAlias)
	return b.Bytes()
}

// check type-checks the program with the export data in exports, stops
// displaying last expressions without a value, and rejects what the
// kernel cannot run (see the top of this file). Other type errors are left
// for the compiler to report.
func (p *program) check(exports map[string]string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, p.name+".go", p.source(), parser.ParseComments)
	if err != nil {
		return err
	}
	info := &types.Info{
		Types:     map[ast.Expr]types.TypeAndValue{},
		Uses:      map[*ast.Ident]types.Object{},
		Instances: map[*ast.Ident]types.Instance{},
	}
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
			file, ok := exports[path]
			if !ok {
				return nil, fmt.Errorf("no export data for %q", path)
			}
			return os.Open(file)
		}),
		Error: func(error) {}, // the compiler reports type errors
	}
	pkg, _ := conf.Check("main", fset, []*ast.File{f}, info)

	var problems []string
	problem := func(pos token.Pos, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s", fset.Position(pos), fmt.Sprintf(format, args...)))
	}
	// Which displayed expressions have no value.
	display := 0
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != displayFunc || len(call.Args) != 1 {
			return true
		}
		for i := display; i < len(p.stmts); i++ {
			if p.display[i] {
				display = i + 1
				if tv, ok := info.Types[call.Args[0]]; ok {
					if t, isTuple := tv.Type.(*types.Tuple); isTuple && t.Len() == 0 {
						p.display[i] = false
					}
					p.convert[i] = methodless(tv.Type, pkg)
				}
				break
			}
		}
		return true
	})
	// Generics.
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Type.TypeParams != nil {
				problem(n.Pos(), "generic function %s: the kernel cannot declare generics", n.Name.Name)
			}
		case *ast.TypeSpec:
			if n.TypeParams != nil {
				problem(n.Pos(), "generic type %s: the kernel cannot declare generics", n.Name.Name)
			}
		}
		return true
	})
	qualifier := func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
	for id, inst := range info.Instances {
		args := make([]string, inst.TypeArgs.Len())
		for i := range args {
			args[i] = types.TypeString(inst.TypeArgs.At(i), qualifier)
		}
		problem(id.Pos(), "%s[%s]: the kernel cannot instantiate generics", id.Name, strings.Join(args, ", "))
	}
	for id, obj := range info.Uses {
		if _, done := info.Instances[id]; done || obj.Pkg() == nil || obj.Pkg() == pkg {
			continue
		}
		if _, isPkg := obj.(*types.PkgName); isPkg {
			continue
		}
		if generic(obj.Type(), map[types.Type]bool{}) {
			problem(id.Pos(), "%s: generic, the kernel skips it", types.ObjectString(obj, qualifier))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%s cannot run in the gophernotes kernel:\n\t%s", p.name, strings.Join(problems, "\n\t"))
	}
	return nil
}

// generic reports whether t is or mentions a generic or instantiated
// type, looking through composite types but not into named types'
// underlying types.
func generic(t types.Type, seen map[types.Type]bool) bool {
	if t == nil || seen[t] {
		return false
	}
	seen[t] = true
	switch t := t.(type) {
	case *types.Alias:
		if t.TypeParams().Len() > 0 || t.TypeArgs().Len() > 0 {
			return true
		}
		return generic(types.Unalias(t), seen)
	case *types.Named:
		return t.TypeParams().Len() > 0 || t.TypeArgs().Len() > 0
	case *types.TypeParam:
		return true
	case *types.Signature:
		if t.TypeParams().Len() > 0 || t.RecvTypeParams().Len() > 0 {
			return true
		}
		return generic(t.Params(), seen) || generic(t.Results(), seen)
	case *types.Tuple:
		for i := 0; i < t.Len(); i++ {
			if generic(t.At(i).Type(), seen) {
				return true
			}
		}
	case *types.Pointer:
		return generic(t.Elem(), seen)
	case *types.Slice:
		return generic(t.Elem(), seen)
	case *types.Array:
		return generic(t.Elem(), seen)
	case *types.Chan:
		return generic(t.Elem(), seen)
	case *types.Map:
		return generic(t.Key(), seen) || generic(t.Elem(), seen)
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			if generic(t.Field(i).Type(), seen) {
				return true
			}
		}
	case *types.Interface:
		if !t.IsMethodSet() {
			return true // a constraint
		}
		for i := 0; i < t.NumMethods(); i++ {
			if generic(t.Method(i).Type(), seen) {
				return true
			}
		}
	}
	return false
}

// methodless returns, for a value of a type declared in the notebook (or
// a pointer to one) that has methods, the type to convert it to so that
// fmt does not call them: the kernel interprets such methods, and fmt,
// compiled code, cannot see them (a Stringer shows its fields). It
// returns "" for every other type.
func methodless(t types.Type, pkg *types.Package) string {
	qualifier := func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
	named, _ := t.(*types.Named)
	ptr, pointer := t.(*types.Pointer)
	if pointer {
		named, _ = ptr.Elem().(*types.Named)
	}
	if named == nil || named.Obj().Pkg() != pkg || types.NewMethodSet(types.NewPointer(named)).Len() == 0 {
		return ""
	}
	if _, isInterface := named.Underlying().(*types.Interface); isInterface {
		return ""
	}
	under := types.TypeString(named.Underlying(), qualifier)
	if pointer {
		return "*" + under
	}
	return under
}

// exportData maps every package that the given packages need, themselves
// included, to its compiled export data, building what is missing. It
// runs `go list` in the module root once per distinct set of packages.
var exportData = struct {
	sync.Mutex
	cache map[string]map[string]string
}{cache: map[string]map[string]string{}}

func exports(root string, pkgs []string) (map[string]string, error) {
	sorted := append([]string(nil), pkgs...)
	sort.Strings(sorted)
	key := strings.Join(sorted, " ")
	exportData.Lock()
	defer exportData.Unlock()
	if m, ok := exportData.cache[key]; ok {
		return m, nil
	}
	cmd := exec.Command("go", append([]string{"list", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"}, sorted...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export %s: %v\n%s", key, err, stderr.Bytes())
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	exportData.cache[key] = m
	return m, nil
}

// importPaths returns the package paths the program imports, with the
// ones the generated code adds.
func (p *program) importPaths() []string {
	paths := []string{"fmt", "image", "strings"}
	for _, s := range p.imports {
		if i := strings.LastIndexByte(s, ' '); i >= 0 {
			s = s[i+1:]
		}
		paths = append(paths, strings.Trim(s, `"`))
	}
	return paths
}
