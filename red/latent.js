// Dim each patch of a top image the less the latent fires there, so
// where it fires stands out on any background.
for (const tile of document.querySelectorAll(".tile[data-shade]")) {
  const g = Number(tile.dataset.grid), cells = document.createElement("div");
  cells.className = "cells";
  cells.style.gridTemplateColumns = "repeat(" + g + ",1fr)";
  for (const d of tile.dataset.shade) {
    const cell = document.createElement("span");
    cell.style.opacity = (0.6 * (1 - Number(d) / 9)).toFixed(2);
    cells.appendChild(cell);
  }
  tile.appendChild(cells);
}