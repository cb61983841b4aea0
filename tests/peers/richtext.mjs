// Bluesky's reference client as an oracle for Chorus's facets: reads a JSON array of texts on
// standard input and prints, for each, the facets @atproto/api's RichText detects (without
// resolving mentions) as [{start, end, type, value}] with UTF-8 byte offsets.
import { RichText } from '@atproto/api'

let input = ''
for await (const chunk of process.stdin) input += chunk
const texts = JSON.parse(input)
const out = texts.map((text) => {
  const rt = new RichText({ text })
  rt.detectFacetsWithoutResolution()
  return (rt.facets ?? []).map((facet) => {
    const feature = facet.features[0]
    const type = feature.$type.split('#')[1]
    const value = feature.did ?? feature.uri ?? feature.tag
    return { start: facet.index.byteStart, end: facet.index.byteEnd, type, value }
  })
})
process.stdout.write(JSON.stringify(out))
