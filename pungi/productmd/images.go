package productmd

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// ImageTypeFormats maps each image type productmd 1.50 knows to the formats
// it may have (an empty list: any known format).
var ImageTypeFormats = map[string][]string{
	"appx": {"appx"}, "boot": {"iso"}, "bootable-container": {"ociarchive"}, "cd": {"iso"},
	"container": {"tar.xz", "oci", "ociarchive"}, "docker": {"tar.gz", "tar.xz"}, "dvd": {"iso"},
	"dvd-debuginfo": {"iso"}, "dvd-ostree": {"iso"}, "dvd-ostree-osbuild": {"iso"}, "ec2": {},
	"fex": {"erofs.xz", "erofs.gz", "erofs", "squashfs.xz", "squashfs.gz", "squashfs"}, "kvm": {},
	"live": {}, "live-osbuild": {"iso"}, "liveimg-squashfs": {"liveimg.squashfs"}, "netinst": {"iso"},
	"ociarchive": {"ociarchive"}, "p2v": {}, "qcow": {"qcow"}, "qcow2": {"qcow2"}, "raw": {"raw"},
	"raw-xz": {"raw.xz"}, "rescue": {}, "rhevm-ova": {"rhevm.ova"}, "tar-gz": {"tar.gz"},
	"vagrant-hyperv": {"vagrant-hyperv.box"}, "vagrant-libvirt": {"vagrant-libvirt.box"},
	"vagrant-virtualbox": {"vagrant-virtualbox.box"}, "vagrant-vmware-fusion": {"vagrant-vmware-fusion.box"},
	"vdi": {"vdi"}, "vmdk": {"vmdk"}, "vpc": {"vhd"}, "vhd-compressed": {"vhd.gz", "vhd.xz", "vhdfixed.xz"},
	"vsphere-ova": {"vsphere.ova"}, "wsl2": {"tar", "tar.gz", "wsl"},
}

// imageFormats is every format of ImageTypeFormats.
var imageFormats = func() []string {
	var all []string
	for _, fs := range ImageTypeFormats {
		all = append(all, fs...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}()

var md5RE = regexp.MustCompile(`^[a-z0-9]{32}$`)

// Image is one image of a variant and arch.
type Image struct {
	Path       string // relative to the compose directory
	Mtime      int64
	Size       int64
	VolumeID   string // empty is written as null
	Type       string // a key of ImageTypeFormats
	Format     string
	Arch       string
	DiscNumber int
	DiscCount  int
	Checksums  map[string]string
	ImplantMD5 string // empty is written as null
	Bootable   bool
	Subvariant string
	// Unified images may carry AdditionalVariants.
	Unified            bool
	AdditionalVariants []string
}

// Images is the content of images.json: variant UID → arch → images.
type Images struct {
	Header  Header
	Compose Compose
	Images  map[string]map[string][]Image
}

func (im *Image) validate(p *problems, f string) {
	if im.Path == "" {
		p.add(f+".path", "must not be blank")
	}
	if im.Size == 0 {
		p.add(f+".size", "must not be 0")
	}
	if _, ok := ImageTypeFormats[im.Type]; !ok {
		p.add(f+".type", "%q is not a known image type", im.Type)
	}
	if !slices.Contains(imageFormats, im.Format) {
		p.add(f+".format", "%q is not a known image format", im.Format)
	}
	if im.Arch == "" {
		p.add(f+".arch", "must not be blank")
	}
	if len(im.Checksums) == 0 {
		p.add(f+".checksums", "must not be empty")
	}
	checkChecksums(p, f+".checksums", im.Checksums)
	if im.ImplantMD5 != "" && !md5RE.MatchString(im.ImplantMD5) {
		p.add(f+".implant_md5", "%q is not 32 lower-case hex digits", im.ImplantMD5)
	}
	if len(im.AdditionalVariants) > 0 && !im.Unified {
		p.add(f+".additional_variants", "only unified images can have additional variants")
	}
}

type imageIdentity struct {
	subvariant, typ, format, arch string
	disc                          int
	unified                       bool
	additional                    string
}

func (im *Image) identity() imageIdentity {
	return imageIdentity{im.Subvariant, im.Type, im.Format, im.Arch, im.DiscNumber, im.Unified, strings.Join(im.AdditionalVariants, "\x00")}
}

// Add records an image as productmd's Images.add does: arch is a binary
// arch, and no two images with different checksums may share subvariant,
// type, format, arch, disc number, unified and additional variants.
func (i *Images) Add(variant, arch string, im Image) error {
	p := problems{kind: TypeImages}
	f := "payload.images." + variant + "." + arch
	i.checkAdd(&p, f, arch, &im)
	im.validate(&p, f+"."+im.Path)
	if err := p.err(); err != nil {
		return err
	}
	if i.Images == nil {
		i.Images = map[string]map[string][]Image{}
	}
	if i.Images[variant] == nil {
		i.Images[variant] = map[string][]Image{}
	}
	i.Images[variant][arch] = append(i.Images[variant][arch], im)
	return nil
}

func (i *Images) checkAdd(p *problems, f, arch string, im *Image) {
	if !IsRPMArch(arch) {
		p.add(f, "arch %q is not an RPM arch", arch)
	} else if isSourceArch(arch) {
		p.add(f, "source arch %q is not allowed; list source images under the binary arches", arch)
	}
	id := im.identity()
	for _, arches := range i.Images {
		for _, list := range arches {
			for _, cur := range list {
				if cur.identity() == id && !maps.Equal(cur.Checksums, im.Checksums) {
					p.add(f+"."+im.Path, "shares subvariant, type, format, arch, disc number and variants with %s", cur.Path)
				}
			}
		}
	}
}

// Validate checks every image and the uniqueness rule.
func (i *Images) Validate() error {
	p := problems{kind: TypeImages}
	i.Compose.validate(&p, "payload.compose")
	var seen Images
	for _, v := range slices.Sorted(maps.Keys(i.Images)) {
		for _, a := range slices.Sorted(maps.Keys(i.Images[v])) {
			for _, im := range i.Images[v][a] {
				f := "payload.images." + v + "." + a
				seen.checkAdd(&p, f, a, &im)
				im.validate(&p, f+"."+im.Path)
				if seen.Images == nil {
					seen.Images = map[string]map[string][]Image{}
				}
				if seen.Images[v] == nil {
					seen.Images[v] = map[string][]Image{}
				}
				seen.Images[v][a] = append(seen.Images[v][a], im)
			}
		}
	}
	return p.err()
}

// MarshalJSON writes images.json, format 1.2, after validating; each list is
// sorted by path.
func (i *Images) MarshalJSON() ([]byte, error) {
	if err := i.Validate(); err != nil {
		return nil, err
	}
	imgs := obj{}
	for v, arches := range i.Images {
		av := obj{}
		for a, list := range arches {
			sorted := slices.Clone(list)
			slices.SortStableFunc(sorted, func(x, y Image) int { return strings.Compare(x.Path, y.Path) })
			l := make([]any, 0, len(sorted))
			for _, im := range sorted {
				var vol, implant any
				if im.VolumeID != "" {
					vol = im.VolumeID
				}
				if im.ImplantMD5 != "" {
					implant = im.ImplantMD5
				}
				o := obj{"path": im.Path, "mtime": im.Mtime, "size": im.Size, "volume_id": vol, "type": im.Type,
					"format": im.Format, "arch": im.Arch, "disc_number": im.DiscNumber, "disc_count": im.DiscCount,
					"checksums": im.Checksums, "implant_md5": implant, "bootable": im.Bootable, "subvariant": im.Subvariant}
				if im.Unified {
					o["unified"] = true
					av := im.AdditionalVariants
					if av == nil {
						av = []string{}
					}
					o["additional_variants"] = av
				}
				l = append(l, o)
			}
			av[a] = l
		}
		imgs[v] = av
	}
	return document(TypeImages, obj{"compose": i.Compose.payload(), "images": imgs}), nil
}

type rawImage struct {
	Path               *string           `json:"path"`
	Mtime              *json.Number      `json:"mtime"`
	Size               *json.Number      `json:"size"`
	VolumeID           *string           `json:"volume_id"`
	Type               *string           `json:"type"`
	Format             *string           `json:"format"`
	Arch               *string           `json:"arch"`
	DiscNumber         *json.Number      `json:"disc_number"`
	DiscCount          *json.Number      `json:"disc_count"`
	Checksums          map[string]string `json:"checksums"`
	ImplantMD5         *string           `json:"implant_md5"`
	Bootable           any               `json:"bootable"`
	Subvariant         *string           `json:"subvariant"`
	Unified            *bool             `json:"unified"`
	AdditionalVariants []string          `json:"additional_variants"`
}

// UnmarshalJSON reads images.json (or image-manifest.json) of any header
// version up to 1.2: images of 1.0 files may lack a subvariant and a format
// (iso), and images listed under "src" in files up to 1.1 move under every
// binary arch of their variant.
func (i *Images) UnmarshalJSON(data []byte) error {
	var rest struct {
		Images map[string]map[string][]rawImage `json:"images"`
	}
	h, c, err := decodePayloadCompose(TypeImages, data, &rest)
	if err != nil {
		return err
	}
	if rest.Images == nil {
		return &ValidationError{Kind: TypeImages, Problems: []Problem{{"payload.images", "missing"}}}
	}
	out := Images{Header: h, Compose: c}
	p := problems{kind: TypeImages}
	for _, v := range slices.Sorted(maps.Keys(rest.Images)) {
		for _, a := range slices.Sorted(maps.Keys(rest.Images[v])) {
			for n, ri := range rest.Images[v][a] {
				f := fieldf("payload.images.%s.%s[%d]", v, a, n)
				im, ok := ri.image(&p, f, h)
				if !ok {
					continue
				}
				im.validate(&p, f)
				targets := []string{a}
				if a == "src" && !h.atLeast(1, 2) {
					targets = nil
					for _, b := range slices.Sorted(maps.Keys(rest.Images[v])) {
						if b != "src" {
							targets = append(targets, b)
						}
					}
				}
				for _, t := range targets {
					if h.atLeast(1, 1) {
						out.checkAdd(&p, "payload.images."+v+"."+t, t, &im)
					} else if !IsRPMArch(t) || isSourceArch(t) {
						p.add("payload.images."+v+"."+t, "arch %q is not a binary RPM arch", t)
					}
					if out.Images == nil {
						out.Images = map[string]map[string][]Image{}
					}
					if out.Images[v] == nil {
						out.Images[v] = map[string][]Image{}
					}
					out.Images[v][t] = append(out.Images[v][t], im)
				}
			}
		}
	}
	if err := p.err(); err != nil {
		return err
	}
	if out.Images == nil {
		out.Images = map[string]map[string][]Image{}
	}
	*i = out
	return nil
}

func (ri *rawImage) image(p *problems, f string, h Header) (Image, bool) {
	n := len(p.list)
	str := func(name string, s *string, dst *string) {
		if s == nil {
			p.add(f+"."+name, "missing")
		} else {
			*dst = *s
		}
	}
	num := func(name string, s *json.Number) int64 {
		if s == nil {
			p.add(f+"."+name, "missing")
			return 0
		}
		v, err := s.Int64()
		if err != nil {
			fl, ferr := s.Float64()
			if ferr != nil {
				p.add(f+"."+name, "%q is not a number", s.String())
			}
			return int64(fl)
		}
		return v
	}
	var im Image
	str("path", ri.Path, &im.Path)
	im.Mtime = num("mtime", ri.Mtime)
	im.Size = num("size", ri.Size)
	if ri.VolumeID != nil {
		im.VolumeID = *ri.VolumeID
		if im.VolumeID == "" {
			p.add(f+".volume_id", "must be null or not blank")
		}
	}
	str("type", ri.Type, &im.Type)
	im.Format = "iso"
	if ri.Format != nil {
		im.Format = *ri.Format
	}
	str("arch", ri.Arch, &im.Arch)
	im.DiscNumber = int(num("disc_number", ri.DiscNumber))
	im.DiscCount = int(num("disc_count", ri.DiscCount))
	if ri.Checksums == nil {
		p.add(f+".checksums", "missing")
	}
	im.Checksums = ri.Checksums
	if ri.ImplantMD5 != nil {
		im.ImplantMD5 = *ri.ImplantMD5
	}
	im.Bootable = truthy(ri.Bootable)
	if ri.Subvariant != nil {
		im.Subvariant = *ri.Subvariant
	} else if h.atLeast(1, 1) {
		p.add(f+".subvariant", "missing")
	}
	if ri.Unified != nil {
		im.Unified = *ri.Unified
	}
	im.AdditionalVariants = ri.AdditionalVariants
	return im, len(p.list) == n
}
