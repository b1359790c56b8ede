// Package deps pins the versions of gornn's dependencies for the
// gophernotes kernel.
//
// The kernel compiles the packages of each import cell into a plugin, in a
// module of its own that asks `go get` for the newest version of every
// imported package, ignoring any go.mod beside the notebook. A package of
// gornn imported by its relative path brings gornn's go.mod along; a
// third-party package imported directly brings only its own: for
// gorgonia.org/tensor, older versions of its dependencies (absent from the
// module cache the kernel reads offline) and a
// go4.org/unsafe/assume-no-moving-gc that panics when the plugin loads on
// Go 1.26. Importing this package in the same cell makes gornn's go.mod
// versions the minimums, whatever else the cell imports; its blank imports
// put gornn's main dependencies in the plugin's own requirements.
//
// Every notebook imports it in its first code cell:
//
//	import (
//		"../models"
//		_ "./deps"
//	)
package deps

import (
	_ "go4.org/unsafe/assume-no-moving-gc"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/plot"
	_ "gorgonia.org/gorgonia"
	_ "gorgonia.org/tensor"
)

// Module is the module whose go.mod this package brings to the kernel's
// plugin. It is here because the kernel cannot build a plugin from a
// package that exports nothing.
const Module = "github.com/gornn/gornn"
