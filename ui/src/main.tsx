import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { selectBackend } from "./backend";
import { App } from "./App";
import "./styles.css";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App backend={selectBackend()} />
    </StrictMode>,
  );
}
