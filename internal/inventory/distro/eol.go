package distro

import "time"

// eolDates are the days after which a release gets no more security fixes
// from its distribution: end of LTS for Debian, end of standard support for
// Ubuntu (paid ESM is not counted), end of security support of the branch for
// Alpine, end of maintenance support for Red Hat Enterprise Linux and its
// rebuilds. Keyed by os-release ID, then by the release as Ecosystem
// suffixes it (Debian "12", Ubuntu "22.04", Alpine "3.19", RHEL "9"). A
// release missing from the table is not reported as end of life.
var eolDates = map[string]map[string]string{
	"debian": {
		"6": "2016-02-29", "7": "2018-05-31", "8": "2020-06-30", "9": "2022-06-30",
		"10": "2024-06-30", "11": "2026-08-31", "12": "2028-06-30", "13": "2030-06-30",
	},
	"ubuntu": {
		"12.04": "2017-04-28", "14.04": "2019-04-25", "16.04": "2021-04-30", "18.04": "2023-05-31",
		"20.04": "2025-05-29", "22.04": "2027-06-01", "24.04": "2029-05-31",
		"19.04": "2020-01-23", "19.10": "2020-07-17", "20.10": "2021-07-22", "21.04": "2022-01-20",
		"21.10": "2022-07-14", "22.10": "2023-07-20", "23.04": "2024-01-25", "23.10": "2024-07-11",
		"24.10": "2025-07-10", "25.04": "2026-01-15",
	},
	"alpine": {
		"3.7": "2019-11-01", "3.8": "2020-05-01", "3.9": "2021-01-01", "3.10": "2021-05-01",
		"3.11": "2021-11-01", "3.12": "2022-05-01", "3.13": "2022-11-01", "3.14": "2023-05-01",
		"3.15": "2023-11-01", "3.16": "2024-05-23", "3.17": "2024-11-22", "3.18": "2025-05-09",
		"3.19": "2025-11-01", "3.20": "2026-04-01", "3.21": "2026-11-01", "3.22": "2027-05-01",
	},
	"rhel":      {"6": "2020-11-30", "7": "2024-06-30", "8": "2029-05-31", "9": "2032-05-31"},
	"centos":    {"6": "2020-11-30", "7": "2024-06-30", "8": "2021-12-31"},
	"rocky":     {"8": "2029-05-31", "9": "2032-05-31"},
	"almalinux": {"8": "2029-03-01", "9": "2032-05-31"},
}

// eolKey returns the release key of eolDates for r.
func eolKey(r release) string {
	switch r.ID {
	case "debian":
		return r.VersionID
	case "ubuntu", "alpine":
		return majorMinor(r.VersionID)
	default:
		return major(r.VersionID)
	}
}

// endOfLife returns the end-of-life day of r, if the table has it.
func endOfLife(r release) (time.Time, bool) {
	s, ok := eolDates[r.ID][eolKey(r)]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}
