import { RoarViewersElement } from './element.js';
import { RoarWidgetElement } from './widget.js';

export { RoarViewersElement } from './element.js';
export { formatWatching } from './format.js';
export { RoarWidgetElement } from './widget.js';

// Defined on load, so `<script type="module" src=".../overlay.js">` is all a page needs; a page
// that already has the element (the script included twice) keeps the first definition.
if (!customElements.get('roar-viewers')) customElements.define('roar-viewers', RoarViewersElement);
if (!customElements.get('roar-widget')) customElements.define('roar-widget', RoarWidgetElement);

declare global {
  interface HTMLElementTagNameMap {
    'roar-viewers': RoarViewersElement;
    'roar-widget': RoarWidgetElement;
  }
}
