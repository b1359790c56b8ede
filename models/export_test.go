package models

// Helpers of the package's internal tests that its external tests (package
// models_test, which may import train) use too.
var (
	WriteFile   = write
	SetConfig   = setConfig
	EditConfig  = editConfig
	HeatmapCell = heatmapCell
)
