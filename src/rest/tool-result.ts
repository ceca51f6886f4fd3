/**
 * The JSON body a REST caller gets for a tool's result. One documented, stable mapping:
 *
 * 1. `structuredContent`, when the tool gives one (it is what the tool's `outputSchema` describes).
 * 2. Otherwise each content item, converted as mcpo does and extended to what mcpo drops:
 *    - text: parsed as JSON when it is JSON, else the string;
 *    - image, audio: a `data:<mimeType>;base64,<data>` URL;
 *    - embedded resource: its text, or its blob as a `data:` URL;
 *    - resource link: the link object (`{type, uri, name, …}`);
 *    then one item is returned bare and any other number as a list.
 *
 * `?raw=true` (or the `X-MCP-Raw-Result: true` header) skips all this and returns the MCP
 * `CallToolResult` unchanged.
 *
 * @module
 */
import type { CallToolResult } from '@modelcontextprotocol/client';

type ContentItem = CallToolResult['content'][number];

export function restBodyOf(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const items = result.content.map(convertItem);
  return items.length === 1 ? items[0] : items;
}

function convertItem(item: ContentItem): unknown {
  switch (item.type) {
    case 'text':
      return parseJsonText(item.text);
    case 'image':
    case 'audio':
      return `data:${item.mimeType};base64,${item.data}`;
    case 'resource': {
      const resource = item.resource;
      if ('text' in resource && typeof resource.text === 'string') return parseJsonText(resource.text);
      if ('blob' in resource && typeof resource.blob === 'string') {
        return `data:${resource.mimeType ?? 'application/octet-stream'};base64,${resource.blob}`;
      }
      return resource;
    }
    default:
      // resource_link, and any content type added by later protocol revisions: passed as is.
      return item;
  }
}

/** Characters a JSON text can start with; anything else is plain text, without trying to parse. */
const jsonStart = /^\s*[[{"\-0-9tfn]/;

function parseJsonText(text: string): unknown {
  if (!jsonStart.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
