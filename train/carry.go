package train

import "github.com/gornn/gornn/models"

// carrier returns m as a models.Carrier when it carries state now.
func carrier(m models.Model) (models.Carrier, bool) {
	c, ok := m.(models.Carrier)
	return c, ok && c.CarriesState()
}
