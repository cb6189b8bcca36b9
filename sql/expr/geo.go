package expr

import (
	"math"
	"strings"

	"github.com/streamlite/streamlite/sql/types"
)

// Earth radii GEO_DISTANCE uses, as ksqlDB does.
const (
	earthRadiusKm    = 6371
	earthRadiusMiles = 3959
)

// geoDistance is the great-circle distance between (lat1, lon1) and (lat2, lon2), in
// degrees, by the haversine formula, in kilometres or, for unit "mi", "mile" or "miles",
// in miles. An empty or NULL unit means kilometres; an unknown unit or a coordinate out of
// range fails.
func geoDistance(lat1, lon1, lat2, lon2 float64, unit string) (float64, error) {
	if lat1 < -90 || lat2 < -90 || lat1 > 90 || lat2 > 90 || lon1 < -180 || lon2 < -180 || lon1 > 180 || lon2 > 180 {
		return 0, errBadArg
	}
	radius := float64(earthRadiusKm)
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "", "km", "kilometer", "kilometers", "kilometre", "kilometres":
	case "mi", "mile", "miles":
		radius = earthRadiusMiles
	default:
		return 0, errBadArg
	}
	rad := math.Pi / 180
	hav := func(x float64) float64 { return math.Pow(math.Sin(x/2), 2) }
	a := hav((lat2-lat1)*rad) + hav((lon2-lon1)*rad)*math.Cos(lat1*rad)*math.Cos(lat2*rad)
	return 2 * math.Asin(math.Sqrt(a)) * radius, nil
}

func geoFuncs(name string) []overload {
	if name != "GEO_DISTANCE" {
		return nil
	}
	call := func(a []types.Value, _ []types.Type) (types.Value, error) {
		for _, v := range a[:4] {
			if v == nil {
				return nil, nil
			}
		}
		unit := ""
		if len(a) > 4 && a[4] != nil {
			unit = a[4].(string)
		}
		return geoDistance(a[0].(float64), a[1].(float64), a[2].(float64), a[3].(float64), unit)
	}
	return []overload{
		{params: []param{pDouble, pDouble, pDouble, pDouble}, ret: retT(types.TDouble()), call: call},
		{params: []param{pDouble, pDouble, pDouble, pDouble, pStr}, nulls: true, ret: retT(types.TDouble()), call: call},
	}
}
