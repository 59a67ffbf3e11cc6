package checks

// CEL fragments shared by the image rules. They read container.image the way
// pkg/imageref splits a reference (a property test holds them to it):
// the digest follows the first '@'; the tag follows the last ':' after the
// last '/' before it; the first path component is a registry host when it
// contains '.' or ':' or is "localhost", so "registry:5000/app" has no tag.
const (
	// celNoImage is true when there is no image to judge (a template may
	// leave it to a later mutation); other rules and the API server handle
	// that case.
	celNoImage = `container.?image.orValue('') == ''`

	// celImageRef names the image in messages.
	celImageRef = containerName + ` + ' image "' + container.image + '"'`
)
